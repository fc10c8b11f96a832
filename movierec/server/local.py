"""A real Neo4j server on this machine, without Docker.

The official Neo4j Community server jars (``org.neo4j:neo4j``, which brings the
server entry point and Bolt) and Neo4j Browser (``org.neo4j.client:neo4j-browser``)
are resolved from Maven Central with ``mvn`` into a cache directory, then the
server runs from them as a background process that listens on 127.0.0.1 only:
Neo4j 5.26 LTS by default (Java 17 or 21), or a calendar version such as 2026.08.1
(Java 21+; :mod:`movierec.server.jars`). ``NEO4J_HOME`` may point at an existing
Neo4j install instead, whose ``lib/`` then provides the jars.

Layout of a server home (``$MOVIEREC_HOME/neo4j``, default ``~/.movierec/neo4j``)::

    conf/neo4j.conf   written at every start (ports, memory, directories)
    data/ logs/ run/  Neo4j's own directories; the log to read is logs/neo4j.log
    import/           LOAD CSV reads files from here
    server.json       ports, pid and Neo4j version of the running server
    password          the password set at first start (mode 0600)
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import signal
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, replace
from pathlib import Path

from movierec.core.errors import LocalServerError
from movierec.core.settings import (
    DEFAULT_BOLT_PORT,
    DEFAULT_HTTP_PORT,
    PASSWORD_FILE,
    SERVER_FILE,
    is_local_uri,
    local_server_home,
    read_json,
)
from movierec.server.jars import Echo, server_jars
from movierec.server.lines import (
    ENTRY_POINTS,
    Line,
    check_store,
    find_java,
    jars_line,
    jvm_command,
    requested_version,
)
from movierec.server.process import alive, port_open, tail

logger = logging.getLogger(__name__)

DEFAULT_HEAP = "1g"
DEFAULT_PAGECACHE = "512m"
INITIAL_PASSWORD = "neo4j"  # what a fresh Neo4j accepts until the password is changed

_SIZE = re.compile(r"^\d+[kmgKMG]?$")


def _no_echo(message: str) -> None:
    logger.info("%s", message)


@dataclass(frozen=True)
class ServerStatus:
    """What ``movierec neo4j status`` reports."""

    running: bool
    pid: int | None
    bolt_uri: str
    version: str | None
    browser_url: str
    browser_served: bool


@dataclass(frozen=True)
class LocalServer:
    """A Neo4j Community server run from jars, in its own home directory.

    Args:
        home (Path): The server home (conf, data, logs). (default: ``$MOVIEREC_HOME/neo4j``)
        bolt_port (int): Bolt port on 127.0.0.1. (default: ``7687``)
        http_port (int): HTTP port on 127.0.0.1, serving Browser at ``/browser/``. (default: ``7474``)
        heap (str): JVM heap, e.g. ``"1g"``. (default: ``"1g"``)
        pagecache (str): Neo4j page cache size. (default: ``"512m"``)
        neo4j_home (Path, optional): An existing Neo4j install whose ``lib/`` to run instead of
            the jars from Maven Central. (default: ``$NEO4J_HOME``)
        version (str): The Neo4j version resolved from Maven Central. (default: ``$MOVIEREC_NEO4J_VERSION``, else
            5.26.30)

    Example:
        >>> server = LocalServer.from_env()
        >>> server.bolt_uri()
        'bolt://127.0.0.1:7687'
    """

    home: Path
    bolt_port: int = DEFAULT_BOLT_PORT
    http_port: int = DEFAULT_HTTP_PORT
    heap: str = DEFAULT_HEAP
    pagecache: str = DEFAULT_PAGECACHE
    neo4j_home: Path | None = None
    version: str = ""

    @classmethod
    def from_env(
        cls,
        home: Path | None = None,
        bolt_port: int | None = None,
        http_port: int | None = None,
        heap: str | None = None,
        pagecache: str | None = None,
        version: str | None = None,
    ) -> LocalServer:
        """The local server as configured by arguments, then the environment, then defaults.

        Ports not given are those of the server last started in ``home``, if any.
        ``MOVIEREC_NEO4J_HEAP`` and ``MOVIEREC_NEO4J_PAGECACHE`` set memory sizes.
        """
        home = Path(home) if home else local_server_home()
        recorded = read_json(home / SERVER_FILE)
        neo4j_home = os.environ.get("NEO4J_HOME")
        server = cls(
            home=home,
            bolt_port=bolt_port or int(recorded.get("bolt_port", DEFAULT_BOLT_PORT)),
            http_port=http_port or int(recorded.get("http_port", DEFAULT_HTTP_PORT)),
            heap=heap or os.environ.get("MOVIEREC_NEO4J_HEAP") or DEFAULT_HEAP,
            pagecache=pagecache or os.environ.get("MOVIEREC_NEO4J_PAGECACHE") or DEFAULT_PAGECACHE,
            neo4j_home=Path(neo4j_home) if neo4j_home else None,
            version=requested_version(version),
        )
        for name, size in (("heap", server.heap), ("pagecache", server.pagecache)):
            if not _SIZE.match(size):
                raise LocalServerError(f"{name} size {size!r} is not a size like 512m or 2g")
        return server

    # -- addresses -------------------------------------------------------------------------

    def bolt_uri(self) -> str:
        return f"bolt://127.0.0.1:{self.bolt_port}"

    def browser_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/browser/"

    def is_local_uri(self, uri: str) -> bool:
        """Whether ``uri`` points at this server (so its stored password applies)."""
        return is_local_uri(uri, self.bolt_port)

    # -- state files -----------------------------------------------------------------------

    @property
    def password_file(self) -> Path:
        return self.home / PASSWORD_FILE

    @property
    def log_file(self) -> Path:
        return self.home / "logs" / "neo4j.log"

    @property
    def console_file(self) -> Path:
        return self.home / "logs" / "console.log"

    def stored_password(self) -> str | None:
        """The password this server was initialised with, if it was started by movierec."""
        try:
            return self.password_file.read_text().strip() or None
        except OSError:
            return None

    def pid(self) -> int | None:
        """The pid of this home's running server process, or ``None``."""
        pid = read_json(self.home / SERVER_FILE).get("pid")
        if not isinstance(pid, int):
            return None
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            return None
        # a recycled pid belongs to somebody else: only a Neo4j entry point (either line's) in our home counts
        if any(entry in cmdline for entry in ENTRY_POINTS) and str(self.home) in cmdline:
            return pid
        return None

    def logstail(self, lines: int = 40) -> str:
        """The last lines of the server's log (and of its console output if the log is empty)."""
        parts = [f"--- {self.log_file} ---", tail(self.log_file, lines)]
        if self.console_file.exists() and self.console_file.stat().st_size:
            parts += [f"--- {self.console_file} ---", tail(self.console_file, lines)]
        return "\n".join(parts)

    # -- jars ------------------------------------------------------------------------------

    def lib_dir(self, echo: Echo = _no_echo) -> Path:
        """The folder of server jars (:func:`movierec.server.jars.server_jars`)."""
        return server_jars(self.neo4j_home, echo, self.version)

    # -- lifecycle -------------------------------------------------------------------------

    def write_config(self, line: Line | None = None) -> Path:
        """Write ``conf/neo4j.conf``: loopback only, auth on, this server's ports (listened on and advertised, so
        that Browser, opened from this server, connects to it), memory and folders; for ``line`` 2026.02 and later,
        Cypher 25 as the default language, as that version's own ``neo4j.conf`` sets it."""
        conf_dir = self.home / "conf"
        for sub in ("conf", "data", "logs", "run", "import", "plugins"):
            (self.home / sub).mkdir(parents=True, exist_ok=True)
        lines = [
            "# Written by `movierec neo4j start` at every start; edit the options, not this file.",
            "server.default_listen_address=127.0.0.1",
            "server.default_advertised_address=127.0.0.1",
            f"server.bolt.listen_address=127.0.0.1:{self.bolt_port}",
            f"server.http.listen_address=127.0.0.1:{self.http_port}",
            f"server.bolt.advertised_address=127.0.0.1:{self.bolt_port}",
            f"server.http.advertised_address=127.0.0.1:{self.http_port}",
            "server.http.enabled=true",
            "server.https.enabled=false",
            "dbms.security.auth_enabled=true",
            f"server.memory.pagecache.size={self.pagecache}",
            f"server.directories.data={self.home / 'data'}",
            f"server.directories.logs={self.home / 'logs'}",
            f"server.directories.run={self.home / 'run'}",
            f"server.directories.import={self.home / 'import'}",
            f"server.directories.plugins={self.home / 'plugins'}",
            # keep transaction logs small: this is a development server, not a backup source
            "db.tx_log.rotation.retention_policy=2 files",
            "db.tx_log.rotation.size=64m",
        ]
        if line is not None and line.cypher_25_default:
            lines.append("db.query.default_language=CYPHER_25")
        conf = conf_dir / "neo4j.conf"
        conf.write_text("\n".join(lines) + "\n")
        return conf

    def start(self, password: str | None = None, timeout: float = 120.0, echo: Echo = _no_echo) -> ServerStatus:
        """Start the server in the background and wait until Bolt answers.

        The password is, in order: ``password``, the one stored at first start, ``NEO4J_PASSWORD``,
        or a new random one; on first start it replaces Neo4j's initial password. Auth stays on.

        Args:
            password (str, optional): Password to initialise a fresh server with.
            timeout (float): Seconds to wait for Bolt. (default: ``120``)
            echo (Callable[[str], None]): Where progress messages go.

        Returns:
            ServerStatus: The running server.

        Raises:
            LocalServerError: If Java or the jars are missing, a port is taken, the server
                exits or does not answer in time (the message holds the log's tail), or its
                stored password does not match.
        """
        if self.pid() is not None:
            echo(f"Neo4j is already running (pid {self.pid()}) at {self.bolt_uri()}")
            return self.status()
        for port in (self.bolt_port, self.http_port):
            if port_open(port):
                raise LocalServerError(
                    f"port {port} on 127.0.0.1 is already in use (another Neo4j?): stop it, or pick "
                    "other ports with --bolt-port/--http-port"
                )
        lib = self.lib_dir(echo)
        line = jars_line(lib)  # what runs: the requested version, or whatever NEO4J_HOME holds
        fresh = not (self.home / "data" / "databases").exists()
        check_store(str(read_json(self.home / SERVER_FILE).get("version") or ""), not fresh, line, self.home)
        java, major = find_java(line)
        if line.java[1] is not None and major > line.java[1]:
            logger.warning("Neo4j %s supports %s; trying Java %s", line.version, line.java_text(), major)
        stored = self.stored_password()
        if fresh:
            password = password or os.environ.get("NEO4J_PASSWORD") or secrets.token_urlsafe(18)
        else:
            password = stored or password or os.environ.get("NEO4J_PASSWORD")
            if password is None:
                raise LocalServerError(
                    f"{self.home} holds a database but no stored password: set NEO4J_PASSWORD to its password"
                )
        conf = self.write_config(line)
        cmd = jvm_command(java, major, line, lib, self.heap, self.home, conf.parent)
        echo(f"Starting Neo4j {line.version} (Java {major}) in {self.home} ...")
        with open(self.console_file, "ab") as console:
            proc = subprocess.Popen(
                cmd, cwd=self.home, stdin=subprocess.DEVNULL, stdout=console, stderr=subprocess.STDOUT,
                start_new_session=True,  # survives the CLI; stop() signals its process group
            )
        (self.home / SERVER_FILE).write_text(
            json.dumps({"pid": proc.pid, "bolt_port": self.bolt_port, "http_port": self.http_port,
                        "version": line.version})
        )
        deadline = time.monotonic() + timeout
        while not port_open(self.bolt_port):
            if proc.poll() is not None:
                raise LocalServerError(
                    f"Neo4j exited with code {proc.returncode} while starting:\n{self.logstail()}"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise LocalServerError(f"Neo4j did not open Bolt within {timeout:.0f} s:\n{self.logstail()}")
            time.sleep(0.5)
        self._wait_for_auth(password, fresh, deadline)
        self.password_file.write_text(password + "\n")
        self.password_file.chmod(0o600)
        echo(f"Neo4j is up at {self.bolt_uri()} (Browser: {self.browser_url()})")
        return self.status(password)

    def _wait_for_auth(self, password: str, fresh: bool, deadline: float) -> None:
        import neo4j
        from neo4j.exceptions import AuthError, ServiceUnavailable, SessionExpired

        while True:
            try:
                if fresh:
                    with neo4j.GraphDatabase.driver(self.bolt_uri(), auth=("neo4j", INITIAL_PASSWORD)) as driver:
                        driver.execute_query(
                            "ALTER CURRENT USER SET PASSWORD FROM $old TO $new",
                            old=INITIAL_PASSWORD, new=password, database_="system",
                        )
                    fresh = False
                with neo4j.GraphDatabase.driver(self.bolt_uri(), auth=("neo4j", password)) as driver:
                    driver.execute_query("RETURN 1", database_="neo4j")
                return
            except AuthError as e:
                raise LocalServerError(
                    f"the Neo4j in {self.home} rejected its stored password; if you changed it, put the new "
                    f"one in {self.password_file}"
                ) from e
            except (ServiceUnavailable, SessionExpired, OSError) as e:
                if time.monotonic() > deadline:
                    self.stop()
                    raise LocalServerError(f"Neo4j did not answer queries in time:\n{self.logstail()}") from e
                time.sleep(0.5)
            except neo4j.exceptions.Neo4jError as e:
                # the default database may still be starting
                if time.monotonic() > deadline:
                    self.stop()
                    raise LocalServerError(f"Neo4j did not become ready: {e}\n{self.logstail()}") from e
                time.sleep(0.5)

    def stop(self, timeout: float = 60.0) -> bool:
        """Stop the server by its pid (SIGTERM, then SIGKILL after ``timeout`` seconds).

        Returns:
            bool: Whether a running server was stopped.
        """
        pid = self.pid()
        if pid is None:
            return False
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            return False
        deadline = time.monotonic() + timeout
        while alive(pid):
            if time.monotonic() > deadline:
                logger.warning("Neo4j (pid %s) did not stop in %.0f s; killing it", pid, timeout)
                try:
                    os.killpg(pid, signal.SIGKILL)
                except ProcessLookupError:
                    break
            time.sleep(0.2)
        return True

    def status(self, password: str | None = None) -> ServerStatus:
        """Whether the server runs, its version (asked over Bolt) and whether Browser is served."""
        pid = self.pid()
        version = None
        password = password or self.stored_password() or os.environ.get("NEO4J_PASSWORD")
        if pid is not None and password:
            import neo4j

            try:
                with neo4j.GraphDatabase.driver(self.bolt_uri(), auth=("neo4j", password)) as driver:
                    records, _, _ = driver.execute_query(
                        "CALL dbms.components() YIELD versions, edition RETURN versions[0] AS v, edition",
                        database_="system",
                    )
                    version = f"{records[0]['v']} {records[0]['edition']}"
            except Exception as e:  # status reports, it does not fail
                logger.info("version query failed: %s", e)
        browser = False
        if pid is not None:
            try:
                with urllib.request.urlopen(self.browser_url(), timeout=5) as resp:
                    browser = resp.status == 200 and b"Neo4j Browser" in resp.read()
            except (urllib.error.URLError, OSError):
                browser = False
        return ServerStatus(
            running=pid is not None, pid=pid, bolt_uri=self.bolt_uri(), version=version,
            browser_url=self.browser_url(), browser_served=browser,
        )

    def with_ports(self, bolt_port: int, http_port: int) -> LocalServer:
        return replace(self, bolt_port=bolt_port, http_port=http_port)
