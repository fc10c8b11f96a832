"""Options shared by the commands that talk to Neo4j."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click

from movierec.core.settings import Neo4jSettings

Command = Callable[..., Any]


def neo4j_options_named(user_flag: str = "--user") -> Callable[[Command], Command]:
    """Add --uri, the Neo4j user option, --password and --database; the command receives ``settings``.

    Args:
        user_flag (str): The Neo4j user name's option. Commands whose ``--user`` is a MovieLens
            userId (``recommend``, ``score``) use ``"--neo4j-user"``. (default: ``"--user"``)

    The password option reads ``NEO4J_PASSWORD`` but never shows its value in ``--help``.
    """
    user_help = "Neo4j user name. [default: neo4j]"
    if user_flag != "--user":
        user_help = "Neo4j user name (--user is the MovieLens user here). [default: neo4j]"

    def decorate(func: Command) -> Command:
        @functools.wraps(func)
        def wrapper(*args: Any, uri: str | None, neo4j_user: str | None, password: str | None,
                    database: str | None, **kwargs: Any) -> Any:
            settings = Neo4jSettings.resolve(uri=uri, user=neo4j_user, password=password, database=database)
            return func(*args, settings=settings, **kwargs)

        options = [
            click.option("--uri", envvar="NEO4J_URI", show_envvar=True,
                         help="Bolt URI. [default: the local server]"),
            click.option(user_flag, "neo4j_user", envvar="NEO4J_USERNAME", show_envvar=True, help=user_help),
            click.option("--password", envvar="NEO4J_PASSWORD", show_envvar=True,
                         help="Password. [default: the local server's]"),
            click.option("--database", envvar="NEO4J_DATABASE", show_envvar=True,
                         help="Database. [default: neo4j]"),
        ]
        for option in reversed(options):
            wrapper = option(wrapper)
        return wrapper

    return decorate


neo4j_options = neo4j_options_named("--user")
"""--uri/--user/--password/--database; the command receives ``settings: Neo4jSettings``."""

quiet_option = click.option("-q", "--quiet", is_flag=True, help="No progress bars or progress messages.")
