"""Write a run's similar movies back as ``(:Movie)-[:SIMILAR {score, rank, runId}]->(:Movie)``.

Part of the writeback's atomic protocol (:mod:`movierec.gnn.serving.writeback`): before the switch, each
movie's SIMILAR relationships of the run are written in one transaction per batch of movies (the
movie's relationships of this run are deleted and recreated in the same transaction, so a movie has
all or none of them, and a rerun never duplicates them); movies that already hold them are skipped
on a rerun; when all are written the ModelRun records ``similarK``. Readers only follow the active
run's SIMILAR (``cypher/similar_movies.cypher``), so they see the new ones after the switch. After it,
the other runs' SIMILAR are deleted in batches (``cypher/delete_stale_similar.cypher``).

The neighbours come from the run directory's ``similar.pt`` (:mod:`movierec.gnn.serving.similar`); a run
without one (saved before it existed) writes no SIMILAR and keeps no ``similarK``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
from torch import Tensor

from movierec import cypher
from movierec.core.db import Graph
from movierec.core.errors import NotFoundError, WritebackError
from movierec.core.progress import Phases

DEFAULT_SIMILAR_BATCH_SIZE = 200  # movies per write transaction (x k relationships each)
DEFAULT_SIMILAR_WORKERS = 3  # write transactions in flight at once


def run_similar(run: Any) -> tuple[Tensor, Tensor] | None:
    """The run's ``[M, k]`` neighbour indices and scores, or ``None`` when it has none (older runs)."""
    load = getattr(run, "similar", None)
    if load is None:
        return None
    try:
        movies, scores = load()
    except NotFoundError:
        return None
    movies, scores = movies.long().cpu(), scores.float().cpu()
    if movies.dim() != 2 or movies.shape != scores.shape or movies.shape[0] != len(run.movie_ids):
        raise WritebackError(f"run {run.run_id}: similar movies {tuple(movies.shape)} do not match its "
                             f"{len(run.movie_ids)} movies")
    return movies, scores


def similar_rows(movie_ids: list[int], movies: Tensor, scores: Tensor, movie_in_graph: Tensor,
                 skip: set[int]) -> Iterator[dict[str, Any]]:
    """One row per movie in the graph with neighbours, ``{movieId, otherIds, scores}`` (best first).

    Neighbours not in the graph are left out (ranks stay 1, 2, ... over those kept); movies in
    ``skip`` (already written) too.
    """
    in_graph = movie_in_graph.tolist()
    ok = (movies >= 0) & movie_in_graph[movies.clamp(min=0)]
    ids = np.asarray(movie_ids, dtype=np.int64)
    other = ids[movies.clamp(min=0).numpy()]
    values = scores.float().numpy()
    valid: np.ndarray = ok.numpy()
    whole = ok.all(dim=1).tolist()
    for i, mid in enumerate(movie_ids):
        if not in_graph[i] or mid in skip:
            continue
        keep = slice(None) if whole[i] else valid[i]
        kept = other[i][keep].tolist()
        if kept:
            yield {"movieId": mid, "otherIds": kept, "scores": values[i][keep].tolist()}


def write_similar(graph: Graph, run: Any, similar: tuple[Tensor, Tensor], movie_in_graph: Tensor,
                  batch_size: int = DEFAULT_SIMILAR_BATCH_SIZE, phases: Phases | None = None,
                  workers: int = DEFAULT_SIMILAR_WORKERS) -> int:
    """Write ``run``'s SIMILAR relationships (before the switch) and mark the ModelRun; return how many.

    Movies that already hold the run's SIMILAR (an interrupted writeback) are skipped. Batches hold disjoint
    source movies but share target movies: each transaction creates its relationships in target movieId
    order, so most concurrent ones wait on each other's locks; a deadlock left (one batch's source is another's
    target) is retried by the driver's managed transaction.
    """
    movies, scores = similar
    done = {r["movieId"] for r in graph.read(cypher.load("read_similar_written_movies"), runId=run.run_id)}
    todo = movie_in_graph & torch.tensor([mid not in done for mid in run.movie_ids], dtype=torch.bool)
    if phases is not None:
        ok = (movies >= 0) & movie_in_graph[movies.clamp(min=0)] & todo.unsqueeze(1)
        phases.start("similar movies", int(ok.sum()))
    pending: deque[int] = deque()
    written = 0

    def counted() -> Iterator[dict[str, Any]]:
        for row in similar_rows(run.movie_ids, movies, scores, movie_in_graph, done):
            pending.append(len(row["otherIds"]))
            yield row

    def batch(n: int) -> None:
        nonlocal written
        rows = sum(pending.popleft() for _ in range(n))
        written += rows
        if phases is not None:
            phases.advance(rows)

    graph.write_batches(cypher.load("write_similar_movies"), counted(), batch_size=batch_size, on_batch=batch,
                        workers=workers, runId=run.run_id)
    graph.write(cypher.load("mark_similar_written"), runId=run.run_id, k=int(movies.shape[1]))
    return written


def delete_stale_similar(graph: Graph, run_id: str, batch_size: int) -> int:
    """After the switch: delete every other run's SIMILAR relationships; return how many."""
    summary = graph.run_autocommit(cypher.load("delete_stale_similar"), runId=run_id, batchSize=batch_size)
    return int(summary.counters.relationships_deleted)

