"""What the closed-form rankers (EASE, GF-CF) share: the training signal, the graph's SVD, and the rating head.

Both start from the users' training signal ``R`` (:class:`~movierec.gnn.models.scorers.History`): the user ×
movie graph with the ratings as edge weights (``weighting="rating"``, the default) or 1 per rating. Both also give
the run its embeddings (the graph's truncated SVD, ``U √Σ`` and ``V √Σ``, ``hidden`` dimensions: what
``Movie.embedding`` and its vector index hold) and its ratings (a
:class:`~movierec.gnn.models.rating_head.RatingHead` on those embeddings, fitted on the training ratings). A
closed-form model only says how it ranks: :meth:`ClosedFormModel.fit_ranker` and
:meth:`ClosedFormModel.rebuild_ranker`.
"""

from __future__ import annotations

import logging
import time
from abc import abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import Tensor
from torch_geometric.data import HeteroData

from movierec.core.errors import TrainError
from movierec.gnn.data.hetero import MOVIE, RATES, USER
from movierec.gnn.data.split import EdgeSplit
from movierec.gnn.evaluation.metrics import ranking_metrics
from movierec.gnn.models.base import EpochCallback, Model, SavedRun, TrainResult, edges_of
from movierec.gnn.models.rating_head import RATING_HEAD_MAX_EDGES, RatingHead, fit_rating_head, sample_edges
from movierec.gnn.models.scorers import History, LinearScorer, Scorer

logger = logging.getLogger(__name__)

VALIDATION_USERS = 5_000  # users sampled to choose settings on the validation edges (all of them on small graphs)

Edges = tuple[Tensor, Tensor, Tensor]
"""Training pairs ``[2, E]``, validation pairs ``[2, V]`` and their ratings ``[V]``."""


@dataclass
class GraphSVD:
    """The normalised graph ``D_u^-β R D_i^-β``: its norms and truncated SVD (:func:`graph_svd`)."""

    user_norm: Tensor
    movie_inv: Tensor
    singular: Tensor
    left: Tensor
    right: Tensor


def most_rated(history: History, max_items: int) -> Tensor:
    """The (at most) ``max_items`` movies with the most training ratings, sorted by index."""
    counts = torch.bincount(history.indices, minlength=history.num_movies)
    rated = torch.nonzero(counts > 0).flatten()
    if len(rated) > max_items:
        rated = rated[torch.topk(counts[rated], max_items).indices]
    return rated.sort().values


def gram(history: History, items: Tensor, chunk: int = 2_048) -> Tensor:
    """``R[:, items]ᵀ R[:, items]`` as a dense float64 ``[N, N]`` matrix.

    Computed ``chunk`` rows at a time as sparse × sparse products, so the cost follows the co-ratings
    (the sum of the users' squared rating counts) and memory stays at ``N²`` plus one chunk.
    """
    x = history.sparse(columns=items).to_sparse_coo().coalesce().double()
    xt = x.t().coalesce()  # [N, U], rows in item order
    out = torch.zeros(len(items), len(items), dtype=torch.float64)
    item_of = xt.indices()[0]
    for begin in range(0, len(items), chunk):
        end = min(begin + chunk, len(items))
        mask = (item_of >= begin) & (item_of < end)
        part = torch.sparse_coo_tensor(torch.stack([item_of[mask] - begin, xt.indices()[1][mask]]),
                                       xt.values()[mask], (end - begin, x.size(0)), check_invariants=False)
        out[begin:end] = torch.sparse.mm(part, x).to_dense()
    return out


def graph_svd(history: History, beta: float, rank: int, seed: int) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
    """The normalised graph's norms and truncated SVD.

    Returns:
        tuple: ``user_norm`` ``[U]``, ``movie_inv`` ``[M]`` (``D_i^-β``, 0 where unrated), the singular
        values ``[k]`` (descending), ``U_k`` ``[U, k]`` and ``V_k`` ``[M, k]`` of ``D_u^-β R D_i^-β``.
    """
    du, di = history.row_sums(), history.column_sums()
    user_norm = torch.where(du > 0, du.clamp(min=1e-12).pow(-beta), torch.zeros_like(du))
    movie_inv = torch.where(di > 0, di.clamp(min=1e-12).pow(-beta), torch.zeros_like(di))
    rows = torch.repeat_interleave(torch.arange(history.num_users), history.indptr[1:] - history.indptr[:-1])
    values = history.values * user_norm[rows] * movie_inv[history.indices]
    graph = torch.sparse_coo_tensor(torch.stack([rows, history.indices]), values,
                                    (history.num_users, history.num_movies), check_invariants=False).coalesce()
    q = min(rank + 16, history.num_users, history.num_movies)
    generator_state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        u, s, v = torch.svd_lowrank(graph, q=q, niter=6)
    finally:
        torch.random.set_rng_state(generator_state)
    k = min(rank, q)
    return user_norm, movie_inv, s[:k], u[:, :k], v[:, :k]


def validation_metrics(scorer: Any, history: History, edges: tuple[Tensor, Tensor, Tensor], k: int,
                        seed: int) -> dict[str, float]:
    """Ranking metrics on the validation edges (at most :data:`VALIDATION_USERS` users, sampled)."""
    train_ei, val_ei, val_r = edges
    users = val_ei[0].unique()
    if len(users) > VALIDATION_USERS:
        pick = torch.randperm(len(users), generator=torch.Generator().manual_seed(seed))[:VALIDATION_USERS]
        chosen = torch.zeros(history.num_users, dtype=torch.bool)
        chosen[users[pick]] = True
        keep = chosen[val_ei[0]]
        val_ei, val_r = val_ei[:, keep], val_r[keep]
    return ranking_metrics(scorer.scores, train_ei, val_ei, val_r, history.num_movies, k=k)


class ClosedFormModel(Model):
    """A ranker fitted in closed form on CPU (no epochs), with SVD embeddings and a rating head."""

    defaults: ClassVar[dict[str, Any]] = {"epochs": 1, "ensemble": 1}  # one fit; ``hidden``: the embeddings' size

    @classmethod
    def training_summary(cls, metrics: dict[str, Any]) -> str:
        """Closed-form fits have candidates (λ values), not epochs."""
        return f"closed form, {metrics['epochs']} fit(s) compared on validation, {metrics['train_seconds']:.1f} s"

    @abstractmethod
    def fit_ranker(self, history: History, edges: Edges, svd: GraphSVD,
                   ) -> tuple[Scorer, list[dict[str, Any]], dict[str, Any], dict[str, Any]]:
        """The ranking scorer, one history row per setting tried, the weights to save and the facts to record."""

    @abstractmethod
    def rebuild_ranker(self, weights: dict[str, Any], history: History) -> Scorer:
        """The ranking scorer again, from :meth:`fit_ranker`'s weights and the training history."""

    def fit(self, data: HeteroData, split: EdgeSplit, device: torch.device,
            progress: EpochCallback | None = None) -> TrainResult:
        """Fit the ranker and the SVD embeddings on the training edges (on CPU), then a rating head on them.

        Raises:
            TrainError: An unknown weighting, or a graph without training ratings.
        """
        config = self.config
        num_users, num_movies = data[USER].num_nodes, data[MOVIE].num_nodes
        edge_index, rating = data[RATES].edge_index, data[RATES].edge_label
        train_ei, train_r = edge_index[:, split.train], rating[split.train]
        if train_ei.size(1) == 0:
            raise TrainError("no training ratings to fit a model on")
        try:
            history = History.from_edges(train_ei, train_r, num_users, num_movies, config.weighting)
        except ValueError as e:
            raise TrainError(str(e)) from e
        edges = (train_ei, edge_index[:, split.val], rating[split.val])
        start = time.perf_counter()
        svd = GraphSVD(*graph_svd(history, config.filter_beta, max(config.filter_rank, config.hidden), config.seed))
        d = min(config.hidden, len(svd.singular))
        root = svd.singular[:d].sqrt()
        eu, em = svd.left[:, :d] * root, svd.right[:, :d] * root
        rank, rows, weights, extra = self.fit_ranker(history, edges, svd)
        extra = {"weighting": config.weighting, **extra, "fit_seconds": time.perf_counter() - start}
        for row in rows:
            if progress is not None:
                progress(row)
        val_ei, val_r = edges_of(data, split.val, torch.device("cpu"))
        # The head is full-batch: past RATING_HEAD_MAX_EDGES training (and validation) ratings it fits on a
        # seeded sample of them (memory is edges x hidden floats per step), its biases start from all of them.
        generator = torch.Generator().manual_seed(config.seed)
        fit_ei, fit_r = sample_edges(train_ei, train_r, RATING_HEAD_MAX_EDGES, generator)
        stop_ei, stop_r = sample_edges(val_ei, val_r, RATING_HEAD_MAX_EDGES // 4, generator)
        head = fit_rating_head(eu, em, fit_ei, fit_r, stop_ei, stop_r, config, start=(train_ei, train_r))
        weights = {**weights, "rating_head": {k: v.cpu() for k, v in head.state_dict().items()},
                   "embeddings": {"user": eu, "movie": em}}
        return TrainResult(rank=rank, rating=head.scorer(eu, em), rating_range=(float(train_r.min()),
                           float(train_r.max())), history=rows, weights=weights,
                           extra={**extra, "mean": float(train_r.mean())}, user_embedding=eu, movie_embedding=em)

    def rebuild(self, run: SavedRun) -> tuple[Scorer, LinearScorer]:
        edge_index, rating, split = run.split()
        num_users, num_movies = len(run.user_ids), len(run.movie_ids)
        history = History.from_edges(edge_index[:, split.train], rating[split.train], num_users, num_movies,
                                     run.config.weighting)
        weights = run.weights()
        eu, em = weights["embeddings"]["user"], weights["embeddings"]["movie"]
        head = RatingHead(num_users, num_movies, eu.size(1), float(run.extra["mean"]))
        head.load_state_dict(weights["rating_head"])
        return self.rebuild_ranker(weights, history), head.scorer(eu, em)
