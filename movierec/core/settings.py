"""Connection settings shared by every command, and where movierec keeps its files.

Each connection value comes from, in order: an explicit argument (a CLI option), Neo4j's own
environment variables (``NEO4J_URI``, ``NEO4J_USERNAME``, ``NEO4J_PASSWORD``,
``NEO4J_DATABASE``), then the local server that ``movierec neo4j start`` runs.

The local server's home records its ports (``server.json``) and the password it was
initialised with (``password``, mode 0600); this module reads both, so that connecting
never needs the server manager (:mod:`movierec.server`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

DEFAULT_USER = "neo4j"
DEFAULT_DATABASE = "neo4j"
DEFAULT_BOLT_PORT = 7687
DEFAULT_HTTP_PORT = 7474
DEFAULT_URI = f"bolt://127.0.0.1:{DEFAULT_BOLT_PORT}"
SERVER_FILE = "server.json"  # in a local server's home: its ports and pid
PASSWORD_FILE = "password"  # in a local server's home: the password set at first start


def state_home() -> Path:
    """movierec's state directory: ``$MOVIEREC_HOME``, default ``~/.movierec``."""
    return Path(os.environ.get("MOVIEREC_HOME") or Path.home() / ".movierec")


def cache_home() -> Path:
    """Downloads and resolved jars: ``$MOVIEREC_CACHE``, default ``~/.cache/movierec``."""
    if os.environ.get("MOVIEREC_CACHE"):
        return Path(os.environ["MOVIEREC_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "movierec"


def local_server_home() -> Path:
    """The default local server home: ``$MOVIEREC_HOME/neo4j``."""
    return state_home() / "neo4j"


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object from ``path``; ``{}`` when the file is missing or not a JSON object."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def local_bolt_port(home: Path | None = None) -> int:
    """The Bolt port of the server last started in ``home`` (default: 7687)."""
    recorded = read_json((home or local_server_home()) / SERVER_FILE)
    return int(recorded.get("bolt_port", DEFAULT_BOLT_PORT))


def is_local_uri(uri: str, bolt_port: int) -> bool:
    """Whether ``uri`` points at 127.0.0.1/localhost on ``bolt_port``."""
    parsed = urlparse(uri)
    return parsed.hostname in {"127.0.0.1", "localhost"} and (parsed.port or DEFAULT_BOLT_PORT) == bolt_port


def stored_password(home: Path | None = None) -> str | None:
    """The password the local server in ``home`` was initialised with, if movierec started it."""
    try:
        return ((home or local_server_home()) / PASSWORD_FILE).read_text().strip() or None
    except OSError:
        return None


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

    uri: str = DEFAULT_URI
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
        port = local_bolt_port()
        uri = uri or os.environ.get("NEO4J_URI") or f"bolt://127.0.0.1:{port}"
        password = password or os.environ.get("NEO4J_PASSWORD")
        if password is None and is_local_uri(uri, port):
            password = stored_password()
        return cls(
            uri=uri,
            user=user or os.environ.get("NEO4J_USERNAME") or DEFAULT_USER,
            password=password,
            database=database or os.environ.get("NEO4J_DATABASE") or DEFAULT_DATABASE,
        )
