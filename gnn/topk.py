"""Top-K of a trained run's scores, with each user's rated movies masked: pure torch, no Neo4j.

``run.score(user_index)`` gives a ``[users, movies]`` score matrix for a chunk of users (each side
projected once, pairs scored with a matrix product, not the decoder per pair); rated movies are
masked to ``-inf`` and ``torch.topk`` picks the best ``k``. Chunks of ``chunk_size`` users bound
memory to ``chunk_size x movies`` floats.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import torch
from torch import Tensor

from movierec.core.errors import WritebackError
from movierec.gnn.ids import positions

if TYPE_CHECKING:
    from movierec.gnn.model import LinearScorer

DEFAULT_K = 20
DEFAULT_CHUNK_SIZE = 1_024  # users scored at once: memory is chunk_size x movies floats


class ScoringRun(Protocol):
    """What writeback needs from a trained run (``movierec.gnn.run.TrainedRun`` has this shape).

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

    Args:
        run (ScoringRun): The trained run.
        rated (tuple[Tensor, Tensor]): Rated pairs from :func:`rated_index` (sorted by user).
        k (int): Movies per user. (default: ``20``)
        user_index (Tensor, optional): The users to score. (default: all of the run's)
        exclude_movies (Tensor, optional): Movie indices never to recommend (bool mask ``[M]``).
        chunk_size (int): Users scored at once. (default: ``1024``)

    Yields:
        TopK: One chunk's users, best movies and scores.
    """
    n_movies = len(run.movie_ids)
    k = min(k, n_movies)
    if user_index is None:
        user_index = torch.arange(len(run.user_ids))
    rated_users, rated_movies = rated
    for start in range(0, len(user_index), chunk_size):
        users = user_index[start : start + chunk_size]
        scores = run.score(users).float()
        if scores.shape != (len(users), n_movies):
            raise WritebackError(
                f"run {run.run_id} scored {tuple(scores.shape)} for {len(users)} users and {n_movies} movies"
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
            scores[rows, cols] = -math.inf
        if exclude_movies is not None:
            scores[:, exclude_movies] = -math.inf
        best_scores, best_movies = torch.topk(scores, k, dim=1)
        yield TopK(users=users, movies=best_movies, scores=best_scores)
