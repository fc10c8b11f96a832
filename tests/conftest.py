"""Shared fixtures: a real Neo4j for the session, emptied before each test that uses it.

Where the server comes from, in order:

1. ``NEO4J_URI`` (with ``NEO4J_USERNAME``/``NEO4J_PASSWORD``/``NEO4J_DATABASE``) when set;
2. a testcontainers ``Neo4jContainer`` when a Docker engine answers;
3. a local server from the official jars (:class:`movierec.server.local.LocalServer`) in a
   temporary home on free ports, stopped at the end of the session.

When none can be had the Neo4j tests are skipped, unless ``MOVIEREC_REQUIRE_NEO4J=1``
(CI sets it): then they fail, with the server's log.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from movierec.core.db import Graph, connect
from movierec.core.errors import MovierecError
from movierec.core.settings import Neo4jSettings
from movierec.cypher.admin import wipe
from movierec.server.local import LocalServer

NEO4J_IMAGE = "neo4j:5.26-community"
# the subset scripts/test_neo4j_line.sh runs against another Neo4j line (marker neo4j_line): ingest, train from
# Neo4j, writeback, the Cypher library, refresh with new movies, and the local server itself
LINE_SUBSET = ("tests/ingest/test_load.py", "tests/ingest/test_rate.py", "tests/gnn/test_train.py",
               "tests/gnn/test_writeback.py", "tests/cypher/", "tests/gnn/test_refresh.py",
               "tests/gnn/test_new_movies.py", "tests/movierec/test_local_neo4j.py", "tests/gnn/test_remote.py")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    root = Path(str(config.rootpath))
    for item in items:
        if Path(str(item.path)).relative_to(root).as_posix().startswith(LINE_SUBSET):
            item.add_marker(pytest.mark.neo4j_line)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=3).ping()
        return True
    except Exception:
        return False


def _unavailable(message: str) -> None:
    if os.environ.get("MOVIEREC_REQUIRE_NEO4J") == "1":
        pytest.fail(f"MOVIEREC_REQUIRE_NEO4J=1 but no Neo4j could be had:\n{message}", pytrace=False)
    pytest.skip(f"no Neo4j: {message}")


@pytest.fixture(scope="session")
def neo4j_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Neo4jSettings]:
    """Settings of a real, running Neo4j for the whole test session."""
    if os.environ.get("NEO4J_URI"):
        yield Neo4jSettings.resolve()
        return
    if _docker_answers():
        from testcontainers.neo4j import Neo4jContainer

        password = secrets.token_urlsafe(12)
        with Neo4jContainer(NEO4J_IMAGE, password=password) as container:
            yield Neo4jSettings(uri=container.get_connection_url(), password=password)
        return
    home = tmp_path_factory.mktemp("neo4j-home")
    server = LocalServer.from_env(home=home, bolt_port=free_port(), http_port=free_port())
    password = secrets.token_urlsafe(12)
    try:
        server.start(password=password, timeout=180)
    except MovierecError as e:
        server.stop()
        _unavailable(str(e))
    try:
        yield Neo4jSettings(uri=server.bolt_uri(), password=password)
    finally:
        server.stop()


@pytest.fixture
def graph(neo4j_settings: Neo4jSettings) -> Iterator[Graph]:
    """A connection to the session's Neo4j, starting from an empty database."""
    g = connect(neo4j_settings)
    try:
        wipe(g)
        yield g
    finally:
        g.close()


@pytest.fixture
def neo4j_env(neo4j_settings: Neo4jSettings, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The session's Neo4j as environment variables, for CLI tests (also set in ``os.environ``)."""
    env = {
        "NEO4J_URI": neo4j_settings.uri,
        "NEO4J_USERNAME": neo4j_settings.user,
        "NEO4J_PASSWORD": neo4j_settings.password or "",
        "NEO4J_DATABASE": neo4j_settings.database,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


@pytest.fixture(scope="session")
def movielens_dir() -> Path:
    """``$MOVIELENS_DIR``: the folder holding MovieLens releases (default ``../shared/datasets``)."""
    root = Path(os.environ.get("MOVIELENS_DIR") or Path(__file__).resolve().parents[2] / "shared" / "datasets")
    return root


@pytest.fixture(scope="session")
def ml_latest_small(movielens_dir: Path) -> Path:
    """The real ml-latest-small release; skipped (or failed in CI) when it is missing."""
    path = movielens_dir / "ml-latest-small"
    if not (path / "ratings.csv").exists():
        if os.environ.get("MOVIEREC_REQUIRE_DATA") == "1":
            pytest.fail(f"MOVIEREC_REQUIRE_DATA=1 but {path} has no ratings.csv", pytrace=False)
        pytest.skip(f"ml-latest-small not found under {movielens_dir} (set MOVIELENS_DIR)")
    return path
