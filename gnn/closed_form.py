"""Closed-form rankers on the rating graph: EASE (item-item) and GF-CF (graph filter). No epochs.

Both start from the users' training signal ``R`` (:class:`~movierec.gnn.scorers.History`): the user ×
movie graph with the ratings as edge weights (``weighting="rating"``, the default) or 1 per rating.

- **EASE** (Steck, WWW 2019): ``G = RᵀR + λI``, ``P = G⁻¹``, ``B = -P / diag(P)`` column-wise with a zero
  diagonal; ``score(u) = r_u B``. One dense movie × movie inverse, so it covers the ``max_items`` most-rated
  movies (all of them up to 10,000); λ is chosen on the validation edges among ``lambda_scales`` × the
  mean diagonal of ``RᵀR``. ``B`` keeps its ``keep`` largest entries per column (by magnitude).
- **GF-CF** (Shen et al., CIKM 2021): ``R̃ = D_u^-β R D_i^-β`` scaled to spectral norm 1; ``score(u) =
  r_u R̃ᵀR̃ + α r_u D_i^-β V Vᵀ D_i^β`` with ``V`` the top ``filter_rank`` right singular vectors of ``R̃``:
  LightGCN's infinite-layer limit (a linear low-pass filter on the graph) plus an ideal low-pass filter.

Both also give the run its embeddings (the graph's truncated SVD, ``U √Σ`` and ``V √Σ``, ``hidden``
dimensions: what ``Movie.embedding`` and its vector index hold) and its ratings (a
:class:`~movierec.gnn.model.RatingHead` on those embeddings, fitted on the training ratings).

Example:
    >>> result = train_closed_form(data, split, TrainConfig.for_model("ease"))   # doctest: +SKIP
    >>> result.extra["ease_lambda"]                                              # doctest: +SKIP
    1786.1
"""

from __future__ import annotations

import logging
import time
from typing import Any

import torch
from torch import Tensor
from torch_geometric.data import HeteroData

from movierec.core.errors import TrainError
from movierec.gnn.config import TrainConfig
from movierec.gnn.hetero import MOVIE, RATES, USER
from movierec.gnn.metrics import ranking_metrics
from movierec.gnn.model import LinearScorer
from movierec.gnn.scorers import GraphFilterScorer, History, ItemItemScorer
from movierec.gnn.split import EdgeSplit

logger = logging.getLogger(__name__)

DOUBLE_MAX_ITEMS = 12_000  # EASE inverts in float64 up to this many movies, float32 beyond
VALIDATION_USERS = 5_000  # users sampled to choose λ on the validation edges (all of them on small graphs)


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
                                       xt.values()[mask], (end - begin, x.size(0)))
        out[begin:end] = torch.sparse.mm(part, x).to_dense()
    return out


def ease_weight(g: Tensor, lam: float, keep: int = 0) -> Tensor:
    """EASE's ``B`` from the Gram matrix ``g``: ``-P / diag(P)`` with ``P = (g + λI)⁻¹``, zero diagonal, float32.

    Args:
        g (torch.Tensor): ``[N, N]`` Gram matrix (float64).
        lam (float): L2 weight λ.
        keep (int): Keep only each column's ``keep`` largest entries by magnitude (0: all). (default: ``0``)
    """
    # float64 where it is cheap; float32 for large N (G + λI is well conditioned for the λ grid: λ ≥ 4x the
    # mean diagonal), where it halves time and memory.
    a = g.to(torch.float64 if g.size(0) <= DOUBLE_MAX_ITEMS else torch.float32, copy=True)  # g is reused per λ
    a.diagonal().add_(lam)
    p = torch.cholesky_inverse(torch.linalg.cholesky(a))
    del a
    b = (-p / p.diagonal()).float()
    b.diagonal().zero_()
    if 0 < keep < b.size(0):
        top = torch.topk(b.abs(), keep, dim=0).indices
        b = torch.zeros_like(b).scatter_(0, top, b.gather(0, top))
    # row-major: the inverse comes back column-major, and sparse @ dense runs ~25x slower on it (1M: 3.5 s
    # instead of 0.14 s per 512 users scored)
    return b.contiguous()


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
                                    (history.num_users, history.num_movies)).coalesce()
    q = min(rank + 16, history.num_users, history.num_movies)
    generator_state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        u, s, v = torch.svd_lowrank(graph, q=q, niter=6)
    finally:
        torch.random.set_rng_state(generator_state)
    k = min(rank, q)
    return user_norm, movie_inv, s[:k], u[:, :k], v[:, :k]


def _validation_metrics(scorer: Any, history: History, edges: tuple[Tensor, Tensor, Tensor], k: int,
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


def choose_ease(history: History, edges: tuple[Tensor, Tensor, Tensor], max_items: int, keep: int, k: int,
                seed: int, scales: tuple[float, ...], lam: float | None = None,
                ) -> tuple[float, float, ItemItemScorer, list[dict[str, Any]]]:
    """Fit EASE for each λ (``scales`` × the mean diagonal of ``RᵀR``, or the one ``lam``) and keep the best on val.

    Args:
        history (History): The training signal.
        edges (tuple): Training pairs ``[2, E]``, validation pairs ``[2, V]`` and their ratings ``[V]``.
        max_items (int): Movies covered (the most rated).
        keep (int): Entries kept per column of ``B`` (0: all).
        k (int): Cut-off of the validation NDCG.
        seed (int): Seed of the validation user sample.
        scales (tuple[float, ...]): The λ grid, relative to the mean diagonal.
        lam (float, optional): Use this λ instead of the grid.

    Returns:
        tuple: The chosen λ, the mean diagonal, the scorer and one history row per λ tried.
    """
    items = most_rated(history, max_items)
    g = gram(history, items)
    scale = float(g.diagonal().mean())
    lambdas = [lam] if lam else [c * scale for c in scales]
    rows: list[dict[str, Any]] = []
    best: tuple[float, float, Tensor] | None = None
    for value in lambdas:
        t0 = time.perf_counter()
        scorer = ItemItemScorer(history, items, ease_weight(g, value, keep))
        val = _validation_metrics(scorer, history, edges, k, seed)
        rows.append({"member": 0, "epoch": len(rows) + 1, "loss": value, f"val_recall@{k}": val[f"recall@{k}"],
                     f"val_ndcg@{k}": val[f"ndcg@{k}"], "seconds": time.perf_counter() - t0})
        logger.info("EASE λ=%.1f: validation NDCG@%s %.4f", value, k, val[f"ndcg@{k}"])
        if best is None or val[f"ndcg@{k}"] > best[1]:
            best = (value, val[f"ndcg@{k}"], scorer.weight)
    assert best is not None
    return best[0], scale, ItemItemScorer(history, items, best[2]), rows


def item_knn(history: History, max_items: int, neighbours: int) -> ItemItemScorer:
    """ItemKNN: cosine similarity of movies over co-ratings, each column's ``neighbours`` largest kept (0: all).

    ``score(u) = h_u S``: the similarities of the user's movies to each candidate, summed.
    """
    items = most_rated(history, max_items)
    g = gram(history, items)
    norm = g.diagonal().clamp(min=1e-12).sqrt()
    s = (g / norm[:, None] / norm[None, :]).float()
    s.diagonal().zero_()
    if 0 < neighbours < s.size(0):
        top = torch.topk(s, neighbours, dim=0).indices
        s = torch.zeros_like(s).scatter_(0, top, s.gather(0, top))
    return ItemItemScorer(history, items, s.contiguous())


def choose_item_knn(history: History, edges: tuple[Tensor, Tensor, Tensor], max_items: int, k: int, seed: int,
                    grid: tuple[int, ...] = (20, 50, 100, 0)) -> tuple[int, ItemItemScorer]:
    """:func:`item_knn` with the number of neighbours chosen on the validation NDCG (0: all)."""
    best: tuple[int, float, ItemItemScorer] | None = None
    for neighbours in grid:
        scorer = item_knn(history, max_items, neighbours)
        ndcg = _validation_metrics(scorer, history, edges, k, seed)[f"ndcg@{k}"]
        if best is None or ndcg > best[1]:
            best = (neighbours, ndcg, scorer)
    assert best is not None
    return best[0], best[2]


def train_closed_form(data: HeteroData, split: EdgeSplit, config: TrainConfig) -> dict[str, Any]:
    """Fit ``config.model`` (``"ease"`` or ``"gfcf"``) on the training edges; pick λ on validation (EASE).

    Returns:
        dict: ``rank`` (the scorer), ``user_embedding``, ``movie_embedding``, ``history`` (one row per λ
        tried), ``weights`` (the fitted operator, for :mod:`movierec.gnn.rebuild`) and ``extra``.

    Raises:
        TrainError: An unknown model or weighting, or a graph without ratings.
    """
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
    user_norm, movie_inv, singular, left, right = graph_svd(history, config.filter_beta,
                                                            max(config.filter_rank, config.hidden), config.seed)
    d = min(config.hidden, len(singular))
    root = singular[:d].sqrt()
    user_emb, movie_emb = left[:, :d] * root, right[:, :d] * root
    rows: list[dict[str, Any]] = []
    extra: dict[str, Any] = {"weighting": config.weighting}
    rank: ItemItemScorer | GraphFilterScorer
    if config.model == "ease":
        lam, scale, rank, rows = choose_ease(history, edges, config.max_items, config.keep, config.k, config.seed,
                                             config.lambda_scales, config.ease_lambda)
        extra.update(ease_lambda=lam, items=len(rank.items), lambda_scale=lam / scale)
        # EASE's parameters are λ and the movies it covers: B is rebuilt from them and the training edges
        # (scoring.pt keeps the fitted B for serving)
        weights = {"ease": {"lambda": torch.tensor(lam, dtype=torch.float64), "items": rank.items,
                            "keep": torch.tensor(config.keep)}}
    elif config.model == "gfcf":
        top = float(singular[0])
        basis = right[:, :config.filter_rank]
        movie_fwd = torch.where(movie_inv > 0, movie_inv.clamp(min=1e-12).reciprocal(), torch.zeros_like(movie_inv))
        root_top = top ** 0.5
        rank = GraphFilterScorer(history, user_norm / root_top, movie_inv / root_top, movie_inv, movie_fwd, basis,
                                 config.filter_alpha)
        val = _validation_metrics(rank, history, edges, config.k, config.seed)
        rows.append({"member": 0, "epoch": 1, "loss": 0.0, f"val_ndcg@{config.k}": val[f"ndcg@{config.k}"],
                     f"val_recall@{config.k}": val[f"recall@{config.k}"], "seconds": time.perf_counter() - start})
        weights = {"gfcf": rank.state()}
    else:
        raise TrainError(f"{config.model!r} is not a closed-form model (ease, gfcf)")
    extra["fit_seconds"] = time.perf_counter() - start
    return {"rank": rank, "user_embedding": user_emb, "movie_embedding": movie_emb, "history": rows,
            "weights": weights, "extra": extra}


def embedding_scorer(user_emb: Tensor, movie_emb: Tensor) -> LinearScorer:
    """Dot products of the embeddings (no biases), e.g. to compare the vector index's view with the ranker's."""
    return LinearScorer(user_emb, movie_emb, torch.zeros(len(user_emb)), torch.zeros(len(movie_emb)), 0.0)
