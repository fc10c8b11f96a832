"""Top-K of a trained run's scores, with each user's rated movies masked: pure torch, no Neo4j.

``run.score(user_index)`` gives a ``[users, movies]`` score matrix for a chunk of users (each side
projected once, pairs scored with a matrix product, not the decoder per pair); rated movies are
masked to ``-inf`` and ``torch.topk`` picks the best ``k``. Chunks of users bound memory to
:data:`SCORE_BUDGET` floats.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import torch
from torch import Tensor

from movierec.core.errors import WritebackError
from movierec.gnn.data.ids import positions

if TYPE_CHECKING:
    from movierec.gnn.models.scorers import LinearScorer

DEFAULT_K = 20
DEFAULT_CHUNK_SIZE = 8_192  # most users scored at once
SCORE_BUDGET = 1 << 26  # most scores held at once (256 MiB of float32): 1,096 users x 61,201 movies at 25M


class ScoringRun(Protocol):
    """What writeback needs from a trained run (``movierec.gnn.training.run.TrainedRun`` has this shape).

    Attributes:
        run_id (str): Unique id of the run; becomes ``ModelRun.runId`` and ``RECOMMENDED.runId``.
        path (Path): The run's folder.
        model (str): Model name, e.g. ``"lightgcn"``.
        config (TrainConfig | dict): Hyper-parameters (saved as ``ModelRun.params``, JSON).
        metrics (dict): Evaluation metrics (saved as ``ModelRun.metrics``, JSON).
        user_ids (list[int]): ``userId`` of each user tensor index.
        movie_ids (list[int]): ``movieId`` of each movie tensor index.
        rating_scorer (LinearScorer): The rating model before clamping; ``predict_rating`` is it clamped to
            ``rating_range`` (written back as node properties, so Cypher computes any pair's rating).
        rating_range (tuple[float, float]): Predicted ratings are clamped to it.
    """

    run_id: str
    path: Path
    model: str
    config: Any
    metrics: dict[str, Any]
    user_ids: list[int]
    movie_ids: list[int]
    rating_scorer: LinearScorer
    rating_range: tuple[float, float]

    def embeddings(self) -> tuple[Tensor, Tensor]:
        """User and movie embeddings, ``[U, d]`` and ``[M, d]`` float32."""
        ...

    def score(self, user_index: Tensor) -> Tensor:
        """Ranking scores ``[len(user_index), M]``, higher is better."""
        ...

    def predict_rating(self, user_index: Tensor, movie_index: Tensor) -> Tensor:
        """Predicted rating of each ``(user_index[i], movie_index[i])`` pair: ``rating_scorer.pairs`` clamped."""
        ...


@dataclass
class TopK:
    """The top-K of one chunk of users (tensor indices into the run's ids)."""

    users: Tensor  # [B] user indices
    movies: Tensor  # [B, k] movie indices, best first
    scores: Tensor  # [B, k]; -inf where the user has fewer than k candidates


def rated_index(
    run: ScoringRun, pairs: Sequence[tuple[int, int]] | tuple[np.ndarray, np.ndarray]
) -> tuple[Tensor, Tensor]:
    """Turn rated ``(userId, movieId)`` pairs into sorted ``(user_index, movie_index)`` tensors.

    Pairs whose user or movie the run does not know are dropped.

    Args:
        run (ScoringRun): The run whose index mapping to use.
        pairs: Rated pairs as Neo4j ids: a sequence of ``(userId, movieId)`` tuples, or two
            parallel int arrays ``(userIds, movieIds)`` (what :func:`movierec.cypher.queries.read_rated_pairs` returns).

    Returns:
        tuple[Tensor, Tensor]: User and movie indices (int64), sorted by user index.
    """
    if isinstance(pairs, tuple) and len(pairs) == 2 and isinstance(pairs[0], np.ndarray):
        user_ids, movie_ids = pairs
    else:
        array = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
        user_ids, movie_ids = array[:, 0], array[:, 1]
    u, u_ok = positions(run.user_ids, user_ids)
    m, m_ok = positions(run.movie_ids, movie_ids)
    keep = u_ok & m_ok
    u_t = torch.from_numpy(u[keep])
    m_t = torch.from_numpy(m[keep])
    order = torch.argsort(u_t, stable=True)
    return u_t[order], m_t[order]


@torch.no_grad()
def top_k(
    run: ScoringRun,
    rated: tuple[Tensor, Tensor],
    k: int = DEFAULT_K,
    user_index: Tensor | None = None,
    exclude_movies: Tensor | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> Iterator[TopK]:
    """Score users chunk by chunk and yield each chunk's top-``k`` unrated movies.

    A run whose ranker covers only some movies (``run.ranked_movies()``, e.g. EASE's 10,000 most rated) is
    scored and ranked on those columns only; the others would score ``-inf`` anyway.

    Args:
        run (ScoringRun): The trained run.
        rated (tuple[Tensor, Tensor]): Rated pairs from :func:`rated_index` (sorted by user).
        k (int): Movies per user. (default: ``20``)
        user_index (Tensor, optional): The users to score. (default: all of the run's)
        exclude_movies (Tensor, optional): Movie indices never to recommend (bool mask ``[M]``).
        chunk_size (int): Most users scored at once; fewer when ``chunk_size`` x movies scored would pass
            :data:`SCORE_BUDGET` floats. (default: ``8192``)

    Yields:
        TopK: One chunk's users, best movies and scores.
    """
    n_movies = len(run.movie_ids)
    k = min(k, n_movies)
    if user_index is None:
        user_index = torch.arange(len(run.user_ids))
    ranked_movies, score_ranked = getattr(run, "ranked_movies", None), getattr(run, "score_ranked", None)
    ranked = ranked_movies() if ranked_movies is not None and score_ranked is not None else None
    if ranked is not None and len(ranked) < k:
        ranked = None  # fewer candidates than k: rank every column, the rest come back -inf
    columns = n_movies if ranked is None else len(ranked)
    position = None
    if ranked is not None:
        position = torch.full((n_movies,), -1, dtype=torch.long)
        position[ranked] = torch.arange(len(ranked))
    excluded = None
    if exclude_movies is not None and bool(exclude_movies.any()):
        excluded = exclude_movies if ranked is None else exclude_movies[ranked]
    rows_at_once = max(1, min(chunk_size, SCORE_BUDGET // max(columns, 1)))
    rated_users, rated_movies = rated
    for start in range(0, len(user_index), rows_at_once):
        users = user_index[start : start + rows_at_once]
        scores = (run.score(users) if ranked is None or score_ranked is None else score_ranked(users)).float()
        if scores.shape != (len(users), columns):
            raise WritebackError(
                f"run {run.run_id} scored {tuple(scores.shape)} for {len(users)} users and {columns} movies"
            )
        scores = scores.masked_fill(torch.isnan(scores), -math.inf)  # a copy: never write into the run's tensors
        # each user's rated movies are one slice of the user-sorted pair list
        lo = torch.searchsorted(rated_users, users)
        hi = torch.searchsorted(rated_users, users, right=True)
        counts = hi - lo
        n_rated = int(counts.sum())
        if n_rated > 0:
            rows = torch.repeat_interleave(torch.arange(len(users)), counts)
            starts = torch.repeat_interleave(torch.cumsum(counts, 0) - counts, counts)
            cols = rated_movies[torch.repeat_interleave(lo, counts) + torch.arange(n_rated) - starts]
            if position is not None:
                cols = position[cols]
                rows, cols = rows[cols >= 0], cols[cols >= 0]
            scores[rows, cols] = -math.inf
        if excluded is not None:
            scores[:, excluded] = -math.inf
        best_scores, best = torch.topk(scores, k, dim=1)
        yield TopK(users=users, movies=best if ranked is None else ranked[best], scores=best_scores)


@dataclass
class RankedUsers:
    """Every user's top-K, scored before anything is written: ``[n, k]`` arrays, ``-inf`` scores where a user
    has fewer than ``k`` candidates."""

    user_ids: np.ndarray  # [n] userId
    movie_ids: np.ndarray  # [n, k] movieId, best first
    scores: np.ndarray  # [n, k] float32
    ratings: np.ndarray  # [n, k] float32 predicted ratings

    def count(self) -> int:
        """Recommendations to write (finite scores)."""
        return int(np.isfinite(self.scores).sum())

    def rows(self, produced: Callable[[int, int], None] | None = None) -> Iterator[dict[str, Any]]:
        """One row per user, ``{userId, movieIds, scores, ratings}`` (``write_recommendations``' parameters);
        ``produced(userId, recommendations)`` is called as each row is made."""
        finite = np.isfinite(self.scores)
        whole = finite.all(axis=1).tolist()
        for i, uid in enumerate(self.user_ids.tolist()):
            keep = slice(None) if whole[i] else finite[i]
            row = {"userId": uid, "movieIds": self.movie_ids[i][keep].tolist(),
                   "scores": self.scores[i][keep].tolist(), "ratings": self.ratings[i][keep].tolist()}
            if produced is not None:
                produced(uid, len(row["movieIds"]))
            yield row


def score_users(
    run: ScoringRun, rated: tuple[Tensor, Tensor], k: int, users: Tensor, exclude: Tensor,
    chunk_size: int = DEFAULT_CHUNK_SIZE, on_chunk: Callable[[int], None] | None = None,
) -> RankedUsers:
    """Score ``users`` and keep each one's top-``k`` unrated movies with its predicted rating.

    All of it before the first recommendation is written: scoring does not fight the writer threads for the GIL,
    and the writers get plain arrays. Memory: ``k`` entries a user, plus one chunk of scores. ``on_chunk(users)``
    is called after each chunk (a progress bar's ``advance``).
    """
    movie_ids = np.asarray(run.movie_ids, dtype=np.int64)
    user_ids = np.asarray(run.user_ids, dtype=np.int64)
    k = min(k, len(movie_ids))
    n = len(users)
    out = RankedUsers(user_ids[users.numpy()], np.zeros((n, k), dtype=np.int64),
                      np.full((n, k), -np.inf, dtype=np.float32), np.zeros((n, k), dtype=np.float32))
    at = 0
    for chunk in top_k(run, rated, k, user_index=users, exclude_movies=exclude, chunk_size=chunk_size):
        size = len(chunk.users)
        with torch.no_grad():
            predicted = run.predict_rating(chunk.users.repeat_interleave(k), chunk.movies.flatten()).float()
        out.movie_ids[at : at + size] = movie_ids[chunk.movies.numpy()]
        out.scores[at : at + size] = chunk.scores.numpy()
        out.ratings[at : at + size] = predicted.view(size, k).numpy()
        at += size
        if on_chunk is not None:
            on_chunk(size)
    return out
