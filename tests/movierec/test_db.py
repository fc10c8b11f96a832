"""Connecting to a real Neo4j: the happy path and every way it can fail."""

from __future__ import annotations

import logging

import pytest
from neo4j import GraphDatabase
from neo4j.exceptions import ConstraintError

from movierec.core.db import Graph, check_server_version, connect
from movierec.core.errors import DatabaseNotFound, Neo4jAuthError, Neo4jUnavailable, UnsupportedServer
from movierec.core.settings import Neo4jSettings
from tests.conftest import free_port


def test_connect_reports_database(graph: Graph) -> None:
    assert graph.read("RETURN 1 AS one")[0]["one"] == 1
    assert graph.database == "neo4j"


def test_write_and_read_back_a_node(graph: Graph) -> None:
    graph.write("CREATE (:Movie {movieId: $id, title: $title})", id=1, title="Toy Story")
    rows = graph.read("MATCH (m:Movie) RETURN m.movieId AS id, m.title AS title")
    assert [(r["id"], r["title"]) for r in rows] == [(1, "Toy Story")]


def test_constraint_rejects_duplicates(graph: Graph) -> None:
    graph.write("CREATE CONSTRAINT movie_id IF NOT EXISTS FOR (m:Movie) REQUIRE m.movieId IS UNIQUE")
    names = [r["name"] for r in graph.read("SHOW CONSTRAINTS YIELD name")]
    assert names == ["movie_id"]
    graph.write("CREATE (:Movie {movieId: 1})")
    with pytest.raises(ConstraintError):
        graph.write("CREATE (:Movie {movieId: 1})")
    assert graph.read("MATCH (m:Movie) RETURN count(m) AS n")[0]["n"] == 1


def test_write_batches_commits_each_batch(graph: Graph) -> None:
    seen: list[int] = []
    n = graph.write_batches(
        "UNWIND $rows AS row CREATE (:User {userId: row.id})",
        ({"id": i} for i in range(25)), batch_size=10, on_batch=seen.append,
    )
    assert n == 25
    assert seen == [10, 10, 5]
    assert graph.read("MATCH (u:User) RETURN count(u) AS n")[0]["n"] == 25


def test_batch_parameters_are_sent_whole_but_not_spelled_out_in_the_driver_log(
    graph: Graph, caplog: pytest.LogCaptureFixture
) -> None:
    # the driver formats every RUN's parameters for its debug log, logging on or off: a batch must cost a few bytes
    # there, not a repr of every row (that repr was most of the client's CPU when staging embeddings)
    rows = [{"id": i, "vector": [i + 0.125] * 64} for i in range(300)]
    with caplog.at_level(logging.DEBUG, logger="neo4j"):
        graph.write_batches("UNWIND $rows AS row CREATE (:User {userId: row.id, embedding: row.vector})", rows,
                            batch_size=200)
    runs = [r.getMessage() for r in caplog.records if "C: RUN" in r.getMessage() and "UNWIND $rows" in r.getMessage()]
    assert len(runs) == 2
    assert all("<200 rows>" in m or "<100 rows>" in m for m in runs)
    assert not any("299.125" in m or "0.125" in m for m in runs)
    back = graph.read("MATCH (u:User) RETURN u.userId AS id, u.embedding AS e ORDER BY id")
    assert [(r["id"], r["e"]) for r in back] == [(row["id"], row["vector"]) for row in rows]
    # a single query's list parameter too (refresh writes its rows with one `write`)
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="neo4j"):
        graph.write("UNWIND $ids AS id MATCH (u:User {userId: id}) SET u.seen = true", ids=[row["id"] for row in rows])
    runs = [r.getMessage() for r in caplog.records if "C: RUN" in r.getMessage() and "UNWIND $ids" in r.getMessage()]
    assert len(runs) == 1 and "<300 rows>" in runs[0] and "299" not in runs[0]
    assert graph.read("MATCH (u:User) WHERE u.seen RETURN count(u) AS n")[0]["n"] == 300


def test_concurrent_batches_all_commit_and_a_failure_stops_the_rest(graph: Graph) -> None:
    seen: list[int] = []
    n = graph.write_batches(
        "UNWIND $rows AS row CREATE (:User {userId: row.id})",
        ({"id": i} for i in range(1000)), batch_size=7, on_batch=seen.append, workers=3,
    )
    assert n == 1000 and sum(seen) == 1000 and sorted(seen)[0] == 1000 % 7
    assert graph.read("MATCH (u:User) RETURN count(u) AS n, count(DISTINCT u.userId) AS d")[0].values() == [1000, 1000]
    # a batch the server rejects (constraint violation) is raised; batches never started are not written
    graph.write("CREATE CONSTRAINT test_unique_movie IF NOT EXISTS FOR (m:Movie) REQUIRE m.movieId IS UNIQUE")
    try:
        rows = [{"id": i} for i in range(100)] + [{"id": 5}] + [{"id": i} for i in range(1000, 5000)]
        with pytest.raises(ConstraintError):
            graph.write_batches("UNWIND $rows AS row CREATE (:Movie {movieId: row.id})", rows, batch_size=101,
                                workers=2)
        created = graph.read("MATCH (m:Movie) RETURN count(m) AS n")[0]["n"]
        assert created < 4100 and created % 101 == 0  # whole batches only, and not all of them
    finally:
        graph.write("DROP CONSTRAINT test_unique_movie IF EXISTS")


def test_stream_is_lazy_and_complete(graph: Graph) -> None:
    graph.write("UNWIND range(1, 2500) AS i CREATE (:User {userId: i})")
    ids = [r["id"] for r in graph.stream("MATCH (u:User) RETURN u.userId AS id ORDER BY id", fetch_size=1000)]
    assert ids == list(range(1, 2501))


def test_wrong_password_is_one_clear_message(neo4j_settings: Neo4jSettings) -> None:
    # a user name of its own, so that Neo4j's lock-out after failed logins touches no other test
    bad = Neo4jSettings(uri=neo4j_settings.uri, user="movierec_nobody", password="wrong-password")
    with pytest.raises(Neo4jAuthError) as info:
        connect(bad)
    message = str(info.value)
    assert message.startswith(f"Neo4j at {neo4j_settings.uri} rejected user 'movierec_nobody': wrong user name")
    assert "wrong-password" not in message


def test_unreachable_server_is_one_clear_message() -> None:
    uri = f"bolt://127.0.0.1:{free_port()}"
    with pytest.raises(Neo4jUnavailable) as info:
        connect(Neo4jSettings(uri=uri, password="secret-value"))
    assert str(info.value).startswith(f"cannot reach Neo4j at {uri}: is it running?")
    assert "secret-value" not in str(info.value)


def test_a_server_lost_after_connecting_is_named_in_the_message() -> None:
    """A query on a connection whose server went away names the URI (as after a server killed mid-ingest)."""
    uri = f"bolt://127.0.0.1:{free_port()}"
    driver = GraphDatabase.driver(uri, auth=("neo4j", "secret-value"), max_transaction_retry_time=0.5)
    with Graph(driver, "neo4j", uri) as graph, pytest.raises(Neo4jUnavailable) as info:
        graph.write("RETURN 1")
    assert str(info.value).startswith(f"cannot reach Neo4j at {uri}: is it running?")


def test_the_cli_keeps_the_drivers_retry_warnings_for_verbose_runs() -> None:
    from click.testing import CliRunner

    from movierec.cli import cli

    for args, level in ((["neo4j", "--help"], logging.ERROR), (["-v", "neo4j", "--help"], logging.WARNING),
                        (["-vv", "neo4j", "--help"], logging.DEBUG)):
        assert CliRunner().invoke(cli, args).exit_code == 0
        assert logging.getLogger("neo4j").level == level


def test_missing_database_is_one_clear_message(neo4j_settings: Neo4jSettings) -> None:
    settings = Neo4jSettings(uri=neo4j_settings.uri, password=neo4j_settings.password, database="nosuchdb")
    with pytest.raises(DatabaseNotFound) as info:
        connect(settings)
    assert "has no database 'nosuchdb'" in str(info.value)


def test_bad_uri_is_one_clear_message() -> None:
    with pytest.raises(Neo4jUnavailable, match="is not a Neo4j URI"):
        connect(Neo4jSettings(uri="ftp://127.0.0.1:7474", password="x"))


def test_missing_password_is_one_clear_message() -> None:
    with pytest.raises(Neo4jAuthError, match="no password for Neo4j"):
        connect(Neo4jSettings(uri="bolt://127.0.0.1:1", password=None))


@pytest.mark.parametrize("agent", ["Neo4j/5.26.30", "Neo4j/2025.10.1"])
def test_supported_server_versions(agent: str) -> None:
    check_server_version(agent, "bolt://x")


def test_old_server_is_rejected() -> None:
    with pytest.raises(UnsupportedServer, match="runs Neo4j/4.4.30; movierec needs Neo4j 5 or newer"):
        check_server_version("Neo4j/4.4.30", "bolt://x")
    with pytest.raises(UnsupportedServer, match="is not Neo4j"):
        check_server_version("Memgraph/2.1", "bolt://x")
