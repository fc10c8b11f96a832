"""Neo4j server jars: resolved once from Maven Central with ``mvn`` into the cache, or an install's ``lib/``.

The official Neo4j Community server (``org.neo4j:neo4j``, which brings the server entry point and
Bolt) and Neo4j Browser (``org.neo4j.client:neo4j-browser``) are copied by Maven's
``dependency:copy-dependencies`` into ``$MOVIEREC_CACHE/neo4j-<version>-browser-<version>/lib``;
``java -cp 'lib/*'`` runs them (:mod:`movierec.server.local`).

The version is chosen and checked by :mod:`movierec.server.lines`.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from movierec.core.errors import LocalServerError
from movierec.core.settings import cache_home
from movierec.server.lines import NEO4J_VERSION, check_version

logger = logging.getLogger(__name__)

BROWSER_VERSION = "5.24.0"  # newest Browser published as a 5.x jar on Maven Central

POM_TEMPLATE = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>movierec</groupId>
  <artifactId>neo4j-server-jars</artifactId>
  <version>1</version>
  <dependencies>
    <dependency>
      <groupId>org.neo4j</groupId><artifactId>neo4j</artifactId><version>{neo4j}</version>
    </dependency>
    <dependency>
      <groupId>org.neo4j.client</groupId><artifactId>neo4j-browser</artifactId><version>{browser}</version>
    </dependency>
  </dependencies>
</project>
"""

Echo = Callable[[str], None]


def _log(message: str) -> None:
    logger.info("%s", message)


def server_jars(neo4j_home: Path | None = None, echo: Echo = _log, version: str = NEO4J_VERSION) -> Path:
    """The folder of server jars: ``$NEO4J_HOME/lib``, or Neo4j ``version`` resolved from Maven Central once and
    cached per version.

    Raises:
        LocalServerError: If ``NEO4J_HOME`` has no ``lib/``, ``mvn`` is missing, or resolution fails (for example
            a version Maven Central does not serve).
    """
    if neo4j_home is not None:
        lib = neo4j_home / "lib"
        if not any(lib.glob("neo4j-*.jar")):
            raise LocalServerError(f"NEO4J_HOME={neo4j_home} has no Neo4j jars in {lib}")
        return lib
    version = check_version(version)
    lib = cache_home() / f"neo4j-{version}-browser-{BROWSER_VERSION}" / "lib"
    if (lib / ".complete").exists():
        return lib
    mvn = shutil.which("mvn")
    if mvn is None:
        raise LocalServerError(
            "Maven (`mvn`) is needed once to fetch the Neo4j server jars: install it "
            "(`apt-get install maven`) or set NEO4J_HOME to an existing Neo4j install"
        )
    echo(f"Resolving Neo4j {version} and Neo4j Browser {BROWSER_VERSION} from Maven Central (once)...")
    lib.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=lib.parent) as tmp:
        pom = Path(tmp) / "pom.xml"
        pom.write_text(POM_TEMPLATE.format(neo4j=version, browser=BROWSER_VERSION))
        out = Path(tmp) / "lib"
        cmd = [mvn, "-B", "-q", "-f", str(pom), "dependency:copy-dependencies", f"-DoutputDirectory={out}"]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-20:])
            raise LocalServerError(f"Maven could not resolve the jars of Neo4j {version} (exit {proc.returncode}; "
                                   f"is {version} on Maven Central?):\n{tail}")
        (out / ".complete").write_text(f"{version} {BROWSER_VERSION}\n")
        shutil.rmtree(lib, ignore_errors=True)
        os.replace(out, lib)
    return lib
