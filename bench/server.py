"""The Neo4j a benchmark runs against.

By default the harness runs its own local server (:class:`movierec.server.local.LocalServer`)
in ``$MOVIEREC_HOME/bench-<name>/neo4j`` on the ports given (default Bolt 7704, HTTP 7404),
with the heap and page cache given, and starts every ingest variant on a fresh, empty
home, so that each one loads into the same empty store. With ``NEO4J_URI`` set, it uses
that server instead and empties the database between variants.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

from movierec.core.db import Graph, connect
from movierec.core.settings import Neo4jSettings, state_home
from movierec.cypher.admin import wipe
from movierec.server.local import LocalServer

logger = logging.getLogger(__name__)

DEFAULT_BOLT_PORT = 7704
DEFAULT_HTTP_PORT = 7404


@dataclass(frozen=True)
class ServerOptions:
    """How the harness runs Neo4j.

    Args:
        bolt_port (int): Bolt port of the harness's own server. (default: ``7704``)
        http_port (int): HTTP port. (default: ``7404``)
        heap (str): JVM heap. (default: ``"2g"``)
        pagecache (str): Page cache. (default: ``"2g"``)
        external (Neo4jSettings, optional): Use this server instead (from ``NEO4J_URI``).
    """

    bolt_port: int = DEFAULT_BOLT_PORT
    http_port: int = DEFAULT_HTTP_PORT
    heap: str = "2g"
    pagecache: str = "2g"
    external: Neo4jSettings | None = None

    @classmethod
    def from_env(cls, bolt_port: int, http_port: int, heap: str, pagecache: str) -> ServerOptions:
        external = Neo4jSettings.resolve() if os.environ.get("NEO4J_URI") else None
        return cls(bolt_port=bolt_port, http_port=http_port, heap=heap, pagecache=pagecache, external=external)


def bench_root() -> Path:
    """The harness's working folder: ``$MOVIEREC_HOME`` (the harness owns it: ``/tmp/bench``)."""
    return state_home()


class BenchServer:
    """A Neo4j server a stage uses; ``name`` picks its home (``<root>/<name>/neo4j``).

    Args:
        options (ServerOptions): Ports, memory, or an external server.
        name (str): Which home. (default: ``"graph"``, the one later stages reuse)
    """

    def __init__(self, options: ServerOptions, name: str = "graph") -> None:
        self.options = options
        self.name = name
        self.local = None if options.external else LocalServer(
            home=bench_root() / name / "neo4j", bolt_port=options.bolt_port, http_port=options.http_port,
            heap=options.heap, pagecache=options.pagecache,
        )
        self._password: str | None = None

    @property
    def external(self) -> bool:
        return self.local is None

    def settings(self) -> Neo4jSettings:
        if self.options.external is not None:
            return self.options.external
        assert self.local is not None
        password = self._password or self.local.stored_password()
        return Neo4jSettings(uri=self.local.bolt_uri(), password=password)

    def connect(self) -> Graph:
        return connect(self.settings())

    def running(self) -> bool:
        return self.external or (self.local is not None and self.local.pid() is not None)

    def start_fresh(self) -> None:
        """Start on an empty database: a new home for the local server, a wiped one otherwise."""
        if self.local is None:
            with self.connect() as graph:
                wipe(graph)
            return
        self.stop()
        shutil.rmtree(self.local.home, ignore_errors=True)
        (self.local.home.parent / "loaded.json").unlink(missing_ok=True)
        self._password = secrets.token_urlsafe(18)
        logger.info("starting a fresh Neo4j in %s", self.local.home)
        self.local.start(password=self._password, timeout=300)

    def ensure_running(self) -> None:
        """Start the local server on its existing home if it is not running."""
        if self.local is not None and self.local.pid() is None:
            self.local.start(timeout=300)

    def stop(self) -> None:
        if self.local is not None:
            self.local.stop()

    def remove(self) -> None:
        """Stop the local server and delete its home."""
        if self.local is not None:
            self.stop()
            shutil.rmtree(self.local.home.parent, ignore_errors=True)

    def import_dir(self) -> Path | None:
        """The folder ``LOAD CSV`` reads ``file:///`` URLs from (local server only)."""
        return None if self.local is None else self.local.home / "import"

    def peak_rss_mib(self) -> float | None:
        """The server JVM's peak resident set size so far (VmHWM), local server only."""
        pid = None if self.local is None else self.local.pid()
        if pid is None:
            return None
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            return None
        return None

    def version(self) -> str | None:
        try:
            with self.connect() as graph:
                record = graph.driver.execute_query(
                    "CALL dbms.components() YIELD versions, edition RETURN versions[0] AS v, edition",
                    database_="system",
                ).records[0]
                return f"{record['v']} {record['edition']}"
        except Exception as e:  # informational only
            logger.info("version query failed: %s", e)
            return None


