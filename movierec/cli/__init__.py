"""The ``movierec`` command: a thin layer over the library that parses options and prints.

Each command group lives in its own module; this one assembles them and turns
movierec's exceptions into one clear line and a non-zero exit code.
"""

from __future__ import annotations

import logging
from typing import Any

import click

from movierec import __version__
from movierec.core.errors import MovierecError


class _Group(click.Group):
    """A click group that reports :class:`MovierecError` as one line, without a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MovierecError as e:
            raise click.ClickException(str(e)) from e


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="movierec")
@click.option("-v", "--verbose", count=True, help="Log more (-v info, -vv debug) to stderr.")
def cli(verbose: int) -> None:
    """movierec: MovieLens in Neo4j, a GNN recommender trained on it, results back in Neo4j.

    Connection settings come from --uri/--user/--password/--database, then
    NEO4J_URI, NEO4J_USERNAME, NEO4J_PASSWORD, NEO4J_DATABASE, then the local
    server that `movierec neo4j start` runs.

    Example:

        movierec neo4j start && movierec neo4j status
    """
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # The driver logs every retry of a transient failure as a WARNING; movierec reports the outcome as one
    # line of its own, so the driver's own lines show from -v on (-vv: its debug log too).
    logging.getLogger("neo4j").setLevel({0: logging.ERROR, 1: logging.WARNING}.get(verbose, logging.DEBUG))


def _register() -> None:
    from movierec.cli import fresh_cmds, gnn_cmds, ingest_cmds, neo4j_server, query_cmds, run_cmds

    cli.add_command(neo4j_server.neo4j)
    for module in (ingest_cmds, gnn_cmds, run_cmds, fresh_cmds, query_cmds):
        for command in module.COMMANDS:
            cli.add_command(command)


_register()


def main() -> None:
    """Console-script entry point."""
    cli()
