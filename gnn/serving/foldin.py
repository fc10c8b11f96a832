"""Fold-in: score users from the movies they rated *now*, with a trained run, without retraining.

The run's model folds the users in (:meth:`~movierec.gnn.models.base.Model.fold_in`); by default its ranking
scorer does (:mod:`movierec.gnn.models.scorers`), which is one of two kinds:

- **history-based** (EASE's ``B``, GF-CF's graph filter): ``score(u) = h_u W``. ``W`` is fixed by training
  and ``h_u`` is only the user's row of ratings, so any rating row can be scored, for a user the run never
  saw as well as for one whose ratings changed. This is exact: a known user's fold-in with their training
  ratings gives the run's own scores.
- **factor-based** (lightgcn, sage: a :class:`~movierec.gnn.models.scorers.LinearScorer`): the user's vector is the
  mean of the rated movies' trained vectors, weighted like the history (LightGCN's one-layer propagation).

A user with a handful of ratings says little: an item-item model ranks from five movies as confidently as
from five hundred, and on MovieLens it then loses to plain popularity. So fold-in adds a **popularity prior
that fades with the history**: ``z(score_u) + weight · half / (half + n_u) · z(popularity)``, with ``z`` a
standardisation over the movies (each user's scores, the training counts), ``n_u`` the user's known ratings.
``weight`` was chosen on held-out validation users (``python -m bench.foldin``: the smallest weight within 1 %
of the best validation NDCG); at ``n_u = 100`` the prior is a tenth of what it is for a new user.

Ratings come from the run's rating model ``offset + b_u + b_m + f_u · q_m``: the movie side is kept and the
user side (``b_u``, ``f_u``) is the ridge regression of the user's ratings on it
(:meth:`~movierec.gnn.models.base.Model.fold_in_ratings`),
which needs no retraining either.

Example:
    >>> fold = FoldIn(load_run("runs/20261129-ease"))                          # doctest: +SKIP
    >>> recs = fold.recommend([UserRatings(9999, [1, 3114], [5.0, 4.5])], k=5)  # doctest: +SKIP
    >>> recs[0].movie_ids[:2]                                                   # doctest: +SKIP
    [2355, 78499]
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import Tensor

from movierec.core.errors import TrainError
from movierec.gnn.data.ids import IdIndex
from movierec.gnn.models.base import FOLD_IN_PRIOR
from movierec.gnn.models.registry import model_class
from movierec.gnn.models.scorers import History, LinearScorer
from movierec.gnn.training.run_dir import TrainedRun

PRIOR_WEIGHT = FOLD_IN_PRIOR  # the prior's weight for a user without ratings (EASE's; each model has its own)
PRIOR_HALF = 10.0  # ratings at which the prior's weight has halved


@dataclass
class UserRatings:
    """One user's ratings as the graph holds them now.

    Args:
        user_id (int): The ``userId``.
        movie_ids (list[int]): ``movieId`` of each rating.
        ratings (list[float]): The ratings, in the same order.
        version (int): ``User.ratingsVersion`` when the ratings were read (refresh records it).
    """

    user_id: int
    movie_ids: list[int]
    ratings: list[float]
    version: int = 0


@dataclass
class FreshRecommendations:
    """One user's top-K from fold-in scoring.

    Args:
        user_id (int): The ``userId``.
        movie_ids (list[int]): Recommended ``movieId`` s, best first (rated movies excluded).
        scores (list[float]): Their ranking scores.
        predicted_ratings (list[float]): Their predicted ratings (clamped to the run's rating range).
        known_ratings (int): How many of the user's ratings are of movies the run knows (the fold-in signal).
        rating_bias (float): The user's folded-in rating bias (``User.ratingBias`` once refreshed).
        rating_factors (list[float]): The user's folded-in rating factors (``User.ratingFactors``).
    """

    user_id: int
    movie_ids: list[int]
    scores: list[float]
    predicted_ratings: list[float]
    known_ratings: int
    rating_bias: float = 0.0
    rating_factors: list[float] = field(default_factory=list)


class FoldIn:
    """Fold-in scoring with one trained run (load it once, score many users).

    Args:
        run (TrainedRun): The run, e.g. the active one (``load_run(ModelRun.path)``).
        prior_weight (float, optional): The popularity prior's weight for a user without ratings. (default: the
            run's model's, :meth:`~movierec.gnn.models.base.Model.prior_weight`)

    Raises:
        TrainError: The run's model is not registered (a run of a model this version no longer has).
    """

    def __init__(self, run: TrainedRun, prior_weight: float | None = None) -> None:
        self.run = run
        self.model = model_class(run.model)(run.config)
        self.prior_weight = model_class(run.model).prior_weight(run.config) if prior_weight is None else prior_weight
        self.rank_scorer, self.rating_scorer = run.rank_scorer, run.rating_scorer
        self.movie_ids = list(run.movie_ids)  # the run's movies, then those folded in after it (extend)
        self.num_movies = len(self.movie_ids)
        self.movie_index = IdIndex(self.movie_ids)  # sorted once: every request looks its movies up
        self.weighting = getattr(run.config, "weighting", "rating")
        self._popular: Tensor | None = None

    def signal(self, users: list[UserRatings]) -> tuple[History, Tensor, Tensor]:
        """The users' rating rows in the run's movie index: the history, and the ``(row, movie)`` pairs rated.

        Ratings of movies the run does not know are dropped (they cannot be scored or used as signal).
        """
        counts = torch.tensor([len(u.movie_ids) for u in users], dtype=torch.long)
        flat = [m for u in users for m in u.movie_ids]
        index, known = self.movie_index.positions(flat)
        keep = torch.from_numpy(known)
        row_t = torch.repeat_interleave(torch.arange(len(users)), counts)[keep]
        movie_t = torch.from_numpy(index)[keep]
        value_t = torch.tensor([r for u in users for r in u.ratings], dtype=torch.float32)[keep]
        history = History.from_edges(torch.stack([row_t, movie_t]), value_t, len(users), self.num_movies,
                                     self.weighting)
        return history, torch.stack([row_t, movie_t]), value_t

    @torch.no_grad()
    def scores(self, history: History) -> Tensor:
        """``[n, M]`` ranking scores of every movie for the ``n`` rows of ``history`` (higher is better), the
        popularity prior included."""
        counts = (history.indptr[1:] - history.indptr[:-1]).float()
        return with_prior(self.model.fold_in(self.rank_scorer, history), counts, self.popular(), self.prior_weight)

    @property
    def folded(self) -> int:
        """Movies added after the run's own (:meth:`extend`)."""
        return self.num_movies - len(self.run.movie_ids)

    def extend(self, movie_ids: list[int], rank_vectors: Tensor, rank_bias: Tensor, rating_factors: Tensor,
               rating_bias: Tensor, ratings: Tensor) -> None:
        """Score movies folded in after training too (``movierec refresh``, ``gnn/serving/new_movies.py``): the ranker
        and the rating model gain their rows, the popularity prior counts their ``ratings``; a movie folded again
        gets its new rows in place of the old.

        Raises:
            TrainError: The run's ranker has no movie vectors (``ease``), so it cannot score a folded movie.
        """
        rank, rating = self.rank_scorer, self.rating_scorer
        if not isinstance(rank, LinearScorer):
            raise TrainError(f"run {self.run.run_id} ranks with {type(rank).__name__}, which has no row for a folded "
                             "movie")
        index, present = self.movie_index.positions(movie_ids)
        again = torch.from_numpy(present & (index >= len(self.run.movie_ids)))  # folded before: new rows replace
        if bool(again.any()):
            rows = torch.from_numpy(index)[again]
            for scorer, vectors, bias in ((rank, rank_vectors, rank_bias), (rating, rating_factors, rating_bias)):
                scorer.movie[rows] = vectors[again].to(scorer.movie.dtype)
                scorer.movie_bias[rows] = bias[again].to(scorer.movie_bias.dtype)
            self.popular()[rows] = ratings[again].float()
            keep = ~again
            movie_ids = [m for m, k in zip(movie_ids, keep.tolist(), strict=True) if k]
            rank_vectors, rank_bias = rank_vectors[keep], rank_bias[keep]
            rating_factors, rating_bias, ratings = rating_factors[keep], rating_bias[keep], ratings[keep]
            if not movie_ids:
                return
        self.rank_scorer, self.rating_scorer = (
            LinearScorer(s.user, torch.cat([s.movie, vectors.to(s.movie.dtype)]), s.user_bias,
                         torch.cat([s.movie_bias, bias.to(s.movie_bias.dtype)]), s.offset)
            for s, vectors, bias in ((rank, rank_vectors, rank_bias), (rating, rating_factors, rating_bias)))
        self._popular = torch.cat([self.popular(), ratings.float()])
        self.movie_ids = self.movie_ids + list(movie_ids)
        self.num_movies = len(self.movie_ids)
        self.movie_index = IdIndex(self.movie_ids)

    def popular(self) -> Tensor:
        """``[M]`` ratings per movie among every rating the run exported (serving sees no held-out split): the
        prior, and the answer for an empty history."""
        if self._popular is None:
            edge_index, _, _ = self.run.split()
            self._popular = torch.bincount(edge_index[1], minlength=len(self.run.movie_ids)).float()
        return self._popular

    @torch.no_grad()
    def recommend(self, users: list[UserRatings], k: int = 20, exclude: Tensor | None = None,
                  ) -> list[FreshRecommendations]:
        """Each user's ``k`` best movies they have not rated, with predicted ratings.

        Args:
            users (list[UserRatings]): The users and their current ratings.
            k (int): Movies per user. (default: ``20``)
            exclude (Tensor, optional): ``[M]`` bool mask of movies never to recommend (e.g. not in the graph).
        """
        if not users:
            return []
        history, pairs, values = self.signal(users)
        scores = self.scores(history).float()
        counts = torch.bincount(pairs[0], minlength=len(users))
        empty = counts == 0
        if bool(empty.any()):  # no known rating: popularity, not a row of zeros
            scores[empty] = self.popular()
        scores = scores.masked_fill(torch.isnan(scores), -math.inf)
        scores[pairs[0], pairs[1]] = -math.inf
        if exclude is not None:
            scores[:, exclude] = -math.inf
        best, movies = torch.topk(scores, min(k, self.num_movies), dim=1)
        rating = self.model.fold_in_ratings(self.rating_scorer, pairs, values, len(users))
        rows = torch.arange(len(users)).repeat_interleave(movies.size(1))
        predicted = rating.pairs(rows, movies.flatten()).clamp(*self.run.rating_range).view_as(best)
        out = []
        for i, user in enumerate(users):
            valid = torch.isfinite(best[i])
            out.append(FreshRecommendations(
                user_id=user.user_id, movie_ids=[self.movie_ids[j] for j in movies[i][valid].tolist()],
                scores=best[i][valid].tolist(), predicted_ratings=predicted[i][valid].tolist(),
                known_ratings=int(counts[i]), rating_bias=float(rating.user_bias[i]),
                rating_factors=rating.user[i].tolist()))
        return out


def standardised(scores: Tensor) -> Tensor:
    """Each row minus its mean, over its standard deviation, over the finite entries (``-inf`` stays)."""
    finite = torch.isfinite(scores)
    zeroed = torch.where(finite, scores, torch.zeros_like(scores))
    count = finite.sum(-1, keepdim=True).clamp(min=1)
    mean = zeroed.sum(-1, keepdim=True) / count
    std = (((zeroed - mean) * finite).pow(2).sum(-1, keepdim=True) / count).sqrt().clamp(min=1e-12)
    return torch.where(finite, (scores - mean) / std, scores)


def with_prior(scores: Tensor, counts: Tensor, popularity: Tensor, weight: float = PRIOR_WEIGHT,
               half: float = PRIOR_HALF) -> Tensor:
    """``z(scores) + weight · half / (half + n) · z(popularity)`` per row, ``n = counts`` (each row's ratings).

    Args:
        scores (Tensor): ``[n, M]`` model scores (``-inf``: never recommended).
        counts (Tensor): ``[n]`` ratings behind each row.
        popularity (Tensor): ``[M]`` training ratings per movie.
        weight (float): The prior's weight for a row without ratings (0: the model alone).
        half (float): Ratings at which the weight has halved.
    """
    if weight == 0:
        return scores
    fade = weight * half / (half + counts.float())
    return standardised(scores) + fade.unsqueeze(1) * standardised(popularity.float().unsqueeze(0))
