"""Staging a run's node properties before the switch: embeddings and the rating model.

A writeback does not touch the properties queries read (``embedding``, ``ratingBias``, ``ratingFactors``) until the
switch. First it writes, for every user and movie of the run that is in the graph, *staging* properties
(``cypher/stage_user_embeddings.cypher``, ``cypher/stage_movie_embeddings.cypher``):

* ``stagedEmbedding`` (``LIST<FLOAT>``): the node's embedding (movies': for the vector index);
* ``stagedRatingBias`` (FLOAT) and ``stagedRatingFactors`` (``LIST<FLOAT>``): the node's side of the run's rating
  model, the :class:`~movierec.gnn.models.scorers.LinearScorer` ``offset + user_bias[u] + movie_bias[m] + <user[u],
  movie[m]>`` clamped to the run's rating range (``TrainedRun.predict_rating``); the offset and range go on the
  ModelRun (``ratingOffset``, ``ratingMin``, ``ratingMax``), so ``cypher/predict_rating.cypher`` computes any
  pair's rating in Cypher;
* ``stagedRunId``: the run they belong to.

``cypher/activate_run.cypher`` swaps them in, in the same transaction that flips the active run, and removes these
properties from nodes the run does not cover; ``cypher/clear_staged_embeddings.cypher`` removes what an abandoned
writeback left staged.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import torch
from torch import Tensor

from movierec import cypher
from movierec.core.db import Graph
from movierec.core.errors import WritebackError
from movierec.core.progress import Phases
from movierec.gnn.models.scorers import LinearScorer
from movierec.gnn.serving.topk import ScoringRun
from movierec.gnn.serving.vector_index import MAX_DIMENSIONS


def checked_embeddings(run: ScoringRun) -> tuple[Tensor, Tensor]:
    """The run's embeddings as float32 on CPU, checked against its ids.

    Raises:
        WritebackError: Shapes that do not match the run's users / movies, sizes outside what a vector index
            takes, or NaN / infinite values.
    """
    user_emb, movie_emb = (t.detach().float().cpu() for t in run.embeddings())
    if user_emb.shape[0] != len(run.user_ids) or movie_emb.shape[0] != len(run.movie_ids):
        raise WritebackError(
            f"run {run.run_id}: embeddings {tuple(user_emb.shape)} / {tuple(movie_emb.shape)} do not match its "
            f"{len(run.user_ids)} users / {len(run.movie_ids)} movies"
        )
    if user_emb.dim() != 2 or user_emb.shape[1] != movie_emb.shape[1]:
        raise WritebackError(f"run {run.run_id}: user and movie embeddings differ in size")
    if not 1 <= user_emb.shape[1] <= MAX_DIMENSIONS:
        raise WritebackError(f"run {run.run_id}: embedding size {user_emb.shape[1]} is outside 1..{MAX_DIMENSIONS}")
    if not (torch.isfinite(user_emb).all() and torch.isfinite(movie_emb).all()):
        raise WritebackError(f"run {run.run_id}: embeddings contain NaN or infinite values")
    return user_emb, movie_emb


def checked_rating_model(run: ScoringRun) -> LinearScorer:
    """The run's rating model as float32 on CPU, checked against its ids and rating range.

    Raises:
        WritebackError: Shapes that do not match the run's users / movies, an empty or reversed rating range,
            or NaN / infinite values.
    """
    s = run.rating_scorer
    scorer = LinearScorer(s.user.detach().float().cpu(), s.movie.detach().float().cpu(),
                          s.user_bias.detach().float().cpu(), s.movie_bias.detach().float().cpu(), float(s.offset))
    n_users, n_movies = len(run.user_ids), len(run.movie_ids)
    if (scorer.user.dim() != 2 or scorer.movie.dim() != 2 or scorer.user.shape[0] != n_users
            or scorer.movie.shape[0] != n_movies or scorer.user.shape[1] != scorer.movie.shape[1]
            or tuple(scorer.user_bias.shape) != (n_users,) or tuple(scorer.movie_bias.shape) != (n_movies,)):
        raise WritebackError(
            f"run {run.run_id}: rating model factors {tuple(scorer.user.shape)} / {tuple(scorer.movie.shape)}, "
            f"biases {tuple(scorer.user_bias.shape)} / {tuple(scorer.movie_bias.shape)} do not match its "
            f"{n_users} users / {n_movies} movies"
        )
    low, high = (float(v) for v in run.rating_range)
    finite = all(bool(torch.isfinite(t).all()) for t in (scorer.user, scorer.movie, scorer.user_bias,
                                                           scorer.movie_bias))
    if not (finite and math.isfinite(scorer.offset) and math.isfinite(low) and math.isfinite(high)):
        raise WritebackError(f"run {run.run_id}: the rating model contains NaN or infinite values")
    if low > high:
        raise WritebackError(f"run {run.run_id}: rating range {low}..{high} is reversed")
    return scorer


def stage_nodes(
    graph: Graph, run: ScoringRun, user_emb: Tensor, movie_emb: Tensor, rating: LinearScorer, user_ok: Tensor,
    movie_ok: Tensor, batch_size: int, phases: Phases, workers: int,
) -> int:
    """Write the staging properties of every user and movie of the run that is in the graph.

    Always writes them all (a resumed writeback restages: staging is cheap next to scoring, and a node staged by
    an older attempt may hold another run's values).

    Args:
        graph (Graph): The database.
        run (ScoringRun): The run being written back.
        user_emb (Tensor): ``[U, d]`` user embeddings (:func:`checked_embeddings`).
        movie_emb (Tensor): ``[M, d]`` movie embeddings.
        rating (LinearScorer): The rating model (:func:`checked_rating_model`).
        user_ok (Tensor): ``[U]`` bool, the users that are in the graph.
        movie_ok (Tensor): ``[M]`` bool, the movies that are in the graph.
        batch_size (int): Nodes per write transaction.
        phases (Phases): Progress, one phase ``embeddings``.
        workers (int): Write transactions in flight at once.

    Returns:
        int: Nodes staged.
    """
    total = int(user_ok.sum()) + int(movie_ok.sum())
    phases.start("embeddings", total)
    written = 0
    for query, key, ids, emb, bias, factors, ok in (
        ("stage_user_embeddings", "userId", run.user_ids, user_emb, rating.user_bias, rating.user, user_ok),
        ("stage_movie_embeddings", "movieId", run.movie_ids, movie_emb, rating.movie_bias, rating.movie, movie_ok),
    ):
        index = torch.nonzero(ok).flatten()
        written += graph.write_batches(
            cypher.load(query), _rows(key, ids, index, emb, bias, factors, batch_size), batch_size=batch_size,
            runId=run.run_id, workers=workers, on_batch=phases.advance,
        )
    return written


def _rows(key: str, ids: list[int], index: Tensor, emb: Tensor, bias: Tensor, factors: Tensor,
          chunk: int) -> Iterator[dict[str, Any]]:
    """``{key, embedding, ratingBias, ratingFactors}`` per node, converted to Python a chunk at a time."""
    for start in range(0, len(index), chunk):
        rows = index[start : start + chunk]
        for i, vector, b, f in zip(rows.tolist(), emb[rows].tolist(), bias[rows].tolist(), factors[rows].tolist(),
                                   strict=True):
            yield {key: ids[i], "embedding": vector, "ratingBias": b, "ratingFactors": f}

def memory_advice(error: Exception, step: str) -> str:
    """What to do when the server ran out of transaction memory (empty for any other error).

    The switch is one transaction that moves every user's and movie's staged embedding and rating model into
    place (readers see one run or the other, never a mix), so its size grows with nodes × dimensions: the default
    run at 25M (211,980 nodes, 256 + 256 dimensions) needs more than a 4g heap's transaction limit (70 % of it).
    """
    if "MemoryPoolOutOfMemoryError" not in str(getattr(error, "code", "") or ""):
        return ""
    where = "the switch moves every node's embedding and rating model in one transaction; " \
        if step == "activating the run" else ""
    return (f" The server ran out of transaction memory ({where}it is bounded by "
            "dbms.memory.transaction.total.max, 70 % of the heap by default): give it a larger heap (`movierec "
            "neo4j start --heap 8g`, or MOVIEREC_NEO4J_HEAP) or raise that setting, then rerun the writeback.")
