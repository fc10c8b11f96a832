"""``movierec neo4j start | stop | status``: the local Neo4j server."""

from __future__ import annotations

from pathlib import Path

import click

from movierec.server.lines import NEO4J_VERSION
from movierec.server.local import LocalServer

_home = click.option(
    "--home", type=click.Path(file_okay=False, path_type=Path),
    help="Server home (conf, data, logs). [default: $MOVIEREC_HOME/neo4j, i.e. ~/.movierec/neo4j]",
)


@click.group()
def neo4j() -> None:
    """Run a local Neo4j Community server from the official jars (no Docker).

    The jars come from Maven Central once per version (needs `mvn`), or from an
    existing install named by NEO4J_HOME. Neo4j 5.26 LTS (Java 17 or 21) is the
    default; --neo4j-version 2026.08.1 runs the current line (Java 21+, found in
    JAVA_HOME, on PATH or in /usr/lib/jvm). The server listens on 127.0.0.1 only.

    Example:

        movierec neo4j start && movierec neo4j status && movierec neo4j stop
    """


@neo4j.command()
@_home
@click.option("--bolt-port", type=int, help="Bolt port. [default: 7687]")
@click.option("--http-port", type=int, help="HTTP port (Browser at /browser/). [default: 7474]")
@click.option("--heap", help="JVM heap size. [default: 1g, or $MOVIEREC_NEO4J_HEAP]")
@click.option("--pagecache", help="Page cache size. [default: 512m, or $MOVIEREC_NEO4J_PAGECACHE]")
@click.option("--neo4j-version", "version", envvar="MOVIEREC_NEO4J_VERSION", metavar="VERSION",
              help=f"Neo4j version from Maven Central, e.g. 2026.08.1 (ignored with NEO4J_HOME). [default: "
                   f"{NEO4J_VERSION}]")
@click.option("--timeout", type=float, default=120.0, show_default=True, help="Seconds to wait for Bolt.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
def start(home: Path | None, bolt_port: int | None, http_port: int | None, heap: str | None,
          pagecache: str | None, version: str | None, timeout: float, quiet: bool) -> None:
    """Start the local server in the background and wait until Bolt answers.

    On first start the password becomes NEO4J_PASSWORD, or a random one stored
    (mode 0600) in the server home, where the other commands find it.

    Example:

        NEO4J_PASSWORD=change-me movierec neo4j start --bolt-port 7688 --http-port 7475

        movierec neo4j start --neo4j-version 2026.08.1 --home ~/.movierec/neo4j-2026
    """
    server = LocalServer.from_env(home=home, bolt_port=bolt_port, http_port=http_port, heap=heap, pagecache=pagecache,
                                  version=version)
    echo = (lambda _m: None) if quiet else (lambda m: click.echo(m, err=True))
    status = server.start(timeout=timeout, echo=echo)
    if not quiet:
        click.echo(f"running: pid {status.pid}, {status.version or 'Neo4j'} at {status.bolt_uri}")


@neo4j.command()
@_home
def stop(home: Path | None) -> None:
    """Stop the local server by its pid and wait until it has exited.

    Example:

        movierec neo4j stop
    """
    server = LocalServer.from_env(home=home)
    click.echo("stopped" if server.stop() else "not running")


@neo4j.command()
@_home
def status(home: Path | None) -> None:
    """Print whether the local server runs, its version, and whether Browser is served.

    Exits with code 1 when the server is not running.

    Example:

        movierec neo4j status
    """
    server = LocalServer.from_env(home=home)
    st = server.status()
    if not st.running:
        click.echo(f"not running (home {server.home})")
        raise SystemExit(1)
    click.echo(f"running: pid {st.pid}")
    click.echo(f"version: {st.version or 'unknown (no stored password?)'}")
    click.echo(f"bolt: {st.bolt_uri}")
    click.echo(f"browser: {st.browser_url} ({'served' if st.browser_served else 'NOT served'})")
    click.echo(f"logs: {server.log_file}")
