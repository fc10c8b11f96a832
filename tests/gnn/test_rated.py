"""The pairs a writeback masks: the run's export plus what changed since, equal to reading every pair (real Neo4j)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from movierec import cypher
from movierec.core.db import Graph
from movierec.cypher.queries import read_rated_pairs
from movierec.gnn.serving.rated import rated_pairs
from movierec.gnn.serving.topk import rated_index
from movierec.ingest.rate import rate_movie
from tests.fixtures import make_graph, users_and_movies


@dataclass
class _ExportedRun:
    """What :func:`rated_pairs` reads of a run: ids, folder (``config.json``), export time and edges."""

    run_id: str
    user_ids: list[int]
    movie_ids: list[int]
    path: Path
    ratings_read_at: str | None
    edges: torch.Tensor

    def split(self) -> tuple[torch.Tensor, Any, Any]:
        return self.edges, None, None


def _pairs(run: Any, rated: tuple[torch.Tensor, torch.Tensor]) -> set[tuple[int, int]]:
    return {(run.user_ids[u], run.movie_ids[m]) for u, m in zip(rated[0].tolist(), rated[1].tolist(), strict=True)}


def _run(graph: Graph, tmp_path: Path, where: dict[str, Any] | None = None, read_at: bool = True) -> Any:
    """A run 'exported' now: every pair in the graph, the server's time, and ``where`` as its filter."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "config.json").write_text(json.dumps({"where": where or {"genres": [], "users": [],
                                                                          "min_year": None, "rated_after": None}}))
    users, movies = users_and_movies()
    now = graph.read(cypher.load("read_server_time"))[0]["now"].iso_format()
    run: Any = _ExportedRun("exported", users, movies, tmp_path, now if read_at else None, torch.zeros(2, 0))
    u, m = rated_index(run, read_rated_pairs(graph))
    run.edges = torch.stack([u, m])
    return run


def test_the_export_plus_what_changed_since_equals_every_pair_of_the_graph(graph: Graph, tmp_path: Path) -> None:
    make_graph(graph)
    run = _run(graph, tmp_path)
    before = _pairs(run, rated_pairs(graph, run))
    assert before == _pairs(run, rated_index(run, read_rated_pairs(graph)))  # nothing changed: the export
    rate_movie(graph, 102, 1001, 5)  # a new rating, timestamp now (maybe a re-rate)
    rate_movie(graph, 101, 1002, 4)  # the user who had none
    # an ingest of an old rating (timestamp 2001): only User.ratingsChangedAt tells
    graph.write(cypher.load("merge_ratings"), rows=[{"userId": 103, "movieIds": [1039], "ratings": [3.0],
                                                     "ts": [978307200]}])
    after = _pairs(run, rated_pairs(graph, run))
    assert after == _pairs(run, rated_index(run, read_rated_pairs(graph)))
    assert {(102, 1001), (101, 1002), (103, 1039)} <= after and len(after - before) >= 2
    ordered = rated_pairs(graph, run)[0].tolist()
    assert ordered == sorted(ordered)  # sorted by user, as top_k's slices need


def test_a_filtered_or_file_trained_run_reads_every_pair(graph: Graph, tmp_path: Path) -> None:
    make_graph(graph)
    everything = _pairs(_run(graph, tmp_path), rated_index(_run(graph, tmp_path), read_rated_pairs(graph)))
    for run in (_run(graph, tmp_path / "genre", where={"genres": ["Comedy"]}),
                _run(graph, tmp_path / "file", read_at=False)):
        run.edges = run.edges[:, :5]  # what the filter kept: the graph holds more
        assert _pairs(run, rated_pairs(graph, run)) == everything
