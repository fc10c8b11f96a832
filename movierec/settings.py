"""Connection settings shared by every command.

Each value comes from, in order: an explicit argument (a CLI option), Neo4j's own
environment variables (``NEO4J_URI``, ``NEO4J_USERNAME``, ``NEO4J_PASSWORD``,
``NEO4J_DATABASE``), then the local server that ``movierec neo4j start`` runs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from movierec import local_neo4j

DEFAULT_USER = "neo4j"
DEFAULT_DATABASE = "neo4j"


@dataclass(frozen=True)
class Neo4jSettings:
    """Where and how to connect to Neo4j.

    Args:
        uri (str): Bolt URI. (default: the local server's, ``bolt://127.0.0.1:7687``)
        user (str): User name. (default: ``"neo4j"``)
        password (str, optional): Password; never printed (``repr`` hides it).
        database (str): Database every query names. (default: ``"neo4j"``)

    Example:
        >>> Neo4jSettings.resolve(uri="bolt://db:7687", password="x").database
        'neo4j'
    """

    uri: str = local_neo4j.DEFAULT_URI
    user: str = DEFAULT_USER
    password: str | None = field(default=None, repr=False)
    database: str = DEFAULT_DATABASE

    @classmethod
    def resolve(
        cls,
        uri: str | None = None,
        user: str | None = None,
        password: str | None = None,
        database: str | None = None,
    ) -> Neo4jSettings:
        """Build settings from arguments, then the environment, then the local server.

        Args:
            uri (str, optional): Overrides ``NEO4J_URI``.
            user (str, optional): Overrides ``NEO4J_USERNAME``.
            password (str, optional): Overrides ``NEO4J_PASSWORD``.
            database (str, optional): Overrides ``NEO4J_DATABASE``.

        Returns:
            Neo4jSettings: The settings to connect with.
        """
        local = local_neo4j.LocalServer.from_env()
        uri = uri or os.environ.get("NEO4J_URI") or local.bolt_uri()
        password = password or os.environ.get("NEO4J_PASSWORD")
        if password is None and local.is_local_uri(uri):
            password = local.stored_password()
        return cls(
            uri=uri,
            user=user or os.environ.get("NEO4J_USERNAME") or DEFAULT_USER,
            password=password,
            database=database or os.environ.get("NEO4J_DATABASE") or DEFAULT_DATABASE,
        )
