"""Neo4j lines: which version runs, with which main class, Java and JVM flags.

Two lines are supported (:class:`Line`): **5.26 LTS** (the default, supported until June 2028; Java 17 or 21, main
class ``org.neo4j.server.CommunityEntryPoint``) and the **calendar line** 2025.x / 2026.x (Java 21 or newer, main
class ``org.neo4j.server.Neo4jCommunity``; from 2026.02 its own ``neo4j.conf`` makes Cypher 25 the default
language). The version, and so the main class and the Java range, are read from the jars themselves
(:func:`jars_line`), so an install named by ``NEO4J_HOME`` starts whichever line it is.

Example:
    >>> Line("2026.08.1").entry_point, Line("2026.08.1").java_text()
    ('org.neo4j.server.Neo4jCommunity', 'Java 21 or newer')
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from movierec.core.errors import LocalServerError

NEO4J_VERSION = "5.26.30"  # the default: the 5.26 LTS line, which runs on Java 17 and 21
VERSION_ENV = "MOVIEREC_NEO4J_VERSION"
LEGACY_ENTRY_POINT = "org.neo4j.server.CommunityEntryPoint"  # 5.x
CALENDAR_ENTRY_POINT = "org.neo4j.server.Neo4jCommunity"  # 2025.01 and later
ENTRY_POINTS = (LEGACY_ENTRY_POINT, CALENDAR_ENTRY_POINT)
JVM_DIRS = Path("/usr/lib/jvm")  # where Debian and Temurin packages install JDKs
_VERSION = re.compile(r"^(\d{1,4})\.(\d{1,2})(?:\.(\d{1,3}))?$")


@dataclass(frozen=True)
class Line:
    """What a Neo4j version needs to start: its main class and Java range.

    Args:
        version (str): The server's version, e.g. ``"5.26.30"`` or ``"2026.08.1"``.
    """

    version: str

    @property
    def calendar(self) -> bool:
        """2025.01 and later (calendar versions), as opposed to 5.x."""
        return int(self.version.split(".")[0]) >= 2025

    @property
    def entry_point(self) -> str:
        return CALENDAR_ENTRY_POINT if self.calendar else LEGACY_ENTRY_POINT

    @property
    def java(self) -> tuple[int, int | None]:
        """Supported Java majors, ``(lowest, highest)`` (``None``: no upper bound known)."""
        return (21, None) if self.calendar else (17, 21)

    @property
    def cypher_25_default(self) -> bool:
        """Whether the version's own ``neo4j.conf`` makes Cypher 25 the default language (2026.02 and later)."""
        major, minor = (int(x) for x in self.version.split(".")[:2])
        return (major, minor) >= (2026, 2)

    def java_text(self) -> str:
        low, high = self.java
        return f"Java {low} or {high}" if high else f"Java {low} or newer"


def check_version(version: str) -> str:
    """``version`` if it looks like a Neo4j server version (``5.26.30``, ``2026.08.1``).

    Raises:
        LocalServerError: Anything else, or a line before 5.26.
    """
    match = _VERSION.match(version.strip())
    if not match or (int(match.group(1)) < 2025 and (int(match.group(1)), int(match.group(2))) < (5, 26)):
        raise LocalServerError(f"Neo4j version {version!r} is not supported: give 5.26.x (the LTS, default "
                               f"{NEO4J_VERSION}) or a calendar version such as 2026.08.1")
    return version.strip()


def requested_version(version: str | None = None) -> str:
    """The Neo4j version to run: ``version``, else ``$MOVIEREC_NEO4J_VERSION``, else :data:`NEO4J_VERSION`."""
    return check_version(version or os.environ.get(VERSION_ENV) or NEO4J_VERSION)


def jars_line(lib: Path) -> Line:
    """The Neo4j version of the jars in ``lib``, read from ``neo4j-kernel-<version>.jar``.

    Raises:
        LocalServerError: No such jar in ``lib``.
    """
    for jar in sorted(lib.glob("neo4j-kernel-*.jar")):
        match = re.fullmatch(r"neo4j-kernel-(\d[\d.]*)\.jar", jar.name)
        if match:
            return Line(match.group(1))
    raise LocalServerError(f"{lib} holds no neo4j-kernel-<version>.jar: it is not a Neo4j server's lib/")


def java_major(java: str) -> int | None:
    """The major version of the ``java`` executable, or ``None`` when it does not run."""
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30).stderr
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    if not match:
        return None
    major = int(match.group(1))
    return int(match.group(2)) if major == 1 and match.group(2) else major  # "1.8.0" style


def java_candidates() -> list[str]:
    """Java executables in order of preference: ``$JAVA_HOME``, ``java`` on ``PATH``, then the JDKs in
    ``/usr/lib/jvm``."""
    found = []
    if os.environ.get("JAVA_HOME"):
        found.append(str(Path(os.environ["JAVA_HOME"]) / "bin" / "java"))
    on_path = shutil.which("java")
    if on_path:
        found.append(on_path)
    if JVM_DIRS.is_dir():
        found += [str(d / "bin" / "java") for d in sorted(JVM_DIRS.iterdir()) if (d / "bin" / "java").is_file()]
    unique: dict[str, str] = {}  # one entry per real file, the first name kept
    for java in found:
        unique.setdefault(os.path.realpath(java), java)
    return list(unique.values())


def find_java(line: Line | None = None) -> tuple[str, int]:
    """A Java runtime for ``line`` (default: the 5.26 LTS) and its major version.

    The first candidate (:func:`java_candidates`) in the line's supported range wins; failing that, the first
    new enough (a newer Java than the line was tested on, with a warning by the caller).

    Raises:
        LocalServerError: No candidate is new enough: one line saying what the version needs and what was found.
    """
    line = line or Line(NEO4J_VERSION)
    low, high = line.java
    majors = [(java, java_major(java)) for java in java_candidates()]
    usable = [(java, major) for java, major in majors if major is not None and major >= low]
    for java, major in usable:
        if high is None or major <= high:
            return java, major
    if usable:
        return usable[0]
    seen = ", ".join(f"Java {m} ({j})" for j, m in majors if m is not None) or "no Java at all"
    raise LocalServerError(
        f"Neo4j {line.version} needs {line.java_text()}, and found {seen}: install a JDK "
        f"(e.g. `apt-get install openjdk-{low}-jre-headless`) or set JAVA_HOME to one"
    )


def java_flags(line: Line, major: int) -> list[str]:
    """JVM options by line and Java: Java 24+ warns, on the server's console, about ``sun.misc.Unsafe`` and native
    loads that Neo4j makes (allowed here); the calendar line's vector index uses the incubating Vector API."""
    flags = []
    if major >= 24:
        flags += ["--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"]
    if line.calendar:
        flags.append("--add-modules=jdk.incubator.vector")
    return flags


def jvm_command(java: str, major: int, line: Line, lib: Path, heap: str, home: Path, conf_dir: Path) -> list[str]:
    """The command that runs the server of ``line`` from the jars in ``lib`` with ``java`` (major ``major``)."""
    return [
        java,
        f"-Xms{heap}",
        f"-Xmx{heap}",
        "-XX:+UseG1GC",
        "-XX:-OmitStackTraceInFastThrow",
        "-XX:+DisableExplicitGC",
        "-Djdk.nio.maxCachedBufferSize=1024",
        "-Dio.netty.tryReflectionSetAccessible=true",
        "-Dlog4j2.disable.jmx=true",
        "--add-opens=java.base/java.nio=ALL-UNNAMED",
        "--add-opens=java.base/java.io=ALL-UNNAMED",
        "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
        *java_flags(line, major),
        "-cp",
        f"{lib}/*:{home / 'plugins'}/*",
        line.entry_point,
        f"--home-dir={home}",
        f"--config-dir={conf_dir}",
    ]


def check_store(recorded: str, has_store: bool, line: Line, home: Path) -> None:
    """Refuse to open a store that the other line last ran (2026.x would migrate a 5.26 store for good).

    Args:
        recorded (str): The version that last ran in ``home`` (``server.json``; ``""``: unknown).
        has_store (bool): Whether ``home`` holds databases.
        line (Line): The line about to start.
        home (Path): The server home, for the message.

    Raises:
        LocalServerError: ``home`` holds a database last run by the other line.
    """
    if recorded and has_store and Line(recorded).calendar != line.calendar:
        raise LocalServerError(
            f"{home} holds a database of Neo4j {recorded}; Neo4j {line.version} would migrate it and {recorded} "
            "could not open it again: give another --home (or dump and load the database)"
        )
