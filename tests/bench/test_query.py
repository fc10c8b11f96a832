"""The query benchmark's measurement: queries take turns, every client on the same one, on a real server."""

from __future__ import annotations

import pytest

from bench.query import measure, slices
from movierec.core.db import Graph
from movierec.core.settings import Neo4jSettings


def test_slices_take_turns_and_give_each_query_its_duration() -> None:
    plan = slices(3, 10.0, 1.0)
    assert [i for i, _ in plan[:7]] == [0, 1, 2, 0, 1, 2, 0]
    assert len(plan) == 30
    for q in range(3):
        assert sum(s for i, s in plan if i == q) == pytest.approx(10.0)
    assert slices(2, 0.4, 1.0) == [(0, 0.4), (1, 0.4)]  # shorter than a slice: one turn each


def test_measure_reports_each_query_of_the_turns_apart(graph: Graph, neo4j_settings: Neo4jSettings) -> None:
    graph.write("UNWIND range(1, 20) AS i CREATE (:User {userId: i})")
    queries = {
        "lookup": ("MATCH (u:User {userId: $userId}) RETURN u.userId AS id", "user"),
        "missing": ("MATCH (u:User {userId: $userId + 1000}) RETURN u.userId AS id", "user"),
        "failing": ("MATCH (u:User {userId: $userId}) RETURN u.userId / 0 AS id", "user"),
    }
    out = measure(neo4j_settings.uri, neo4j_settings.password or "", queries, list(range(1, 21)), [1], clients=2,
                  duration=0.6, slice_s=0.2)
    assert set(out) == set(queries)
    assert out["lookup"]["queries"] > 0 and out["lookup"]["errors"] == 0 and out["lookup"]["empty"] == 0
    assert out["lookup"]["p50"] <= out["lookup"]["p99"]
    assert out["lookup"]["qps"] == pytest.approx(out["lookup"]["queries"] / 0.6)
    assert out["missing"]["queries"] == out["missing"]["empty"] > 0  # answered, with nothing
    assert out["failing"]["queries"] == 0 and out["failing"]["errors"] > 0  # counted, and the load went on
    assert set(out["failing"]["error_types"]) and out["failing"]["p99"] is None
