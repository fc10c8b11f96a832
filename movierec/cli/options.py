"""Options shared by the commands that talk to Neo4j."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click

from movierec.settings import Neo4jSettings


def neo4j_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add --uri/--user/--password/--database; the command receives ``settings: Neo4jSettings``.

    The password option reads ``NEO4J_PASSWORD`` but never shows its value in ``--help``.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, uri: str | None, user: str | None, password: str | None,
                database: str | None, **kwargs: Any) -> Any:
        settings = Neo4jSettings.resolve(uri=uri, user=user, password=password, database=database)
        return func(*args, settings=settings, **kwargs)

    options = [
        click.option("--uri", envvar="NEO4J_URI", show_envvar=True, help="Bolt URI. [default: the local server]"),
        click.option("--user", envvar="NEO4J_USERNAME", show_envvar=True, help="User name. [default: neo4j]"),
        click.option("--password", envvar="NEO4J_PASSWORD", show_envvar=True,
                     help="Password. [default: the local server's]"),
        click.option("--database", envvar="NEO4J_DATABASE", show_envvar=True, help="Database. [default: neo4j]"),
    ]
    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper


quiet_option = click.option("-q", "--quiet", is_flag=True, help="No progress bars or progress messages.")
