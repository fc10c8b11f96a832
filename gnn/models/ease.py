"""EASE (Steck, WWW 2019): the closed-form item-item ranker, and the EASE peer.

``G = RᵀR + λI``, ``P = G⁻¹``, ``B = -P / diag(P)`` column-wise with a zero diagonal; ``score(u) = r_u B``. One
dense movie × movie inverse, so it covers the ``max_items`` most-rated movies (all of them up to 10,000); λ is
chosen on the validation edges among ``lambda_scales`` × the mean diagonal of ``RᵀR``. ``B`` keeps its ``keep``
largest entries per column (by magnitude).

Example:
    >>> result = Ease(config_for("ease")).fit(data, split, torch.device("cpu"))   # doctest: +SKIP
    >>> result.extra["ease_lambda"]                                               # doctest: +SKIP
    1786.1
"""

from __future__ import annotations

import logging
import time
from typing import Any, ClassVar

import torch
from torch import Tensor

from movierec.gnn.models.base import Peer, PeerEdges, PeerFit
from movierec.gnn.models.closed_form import ClosedFormModel, Edges, GraphSVD, gram, most_rated, validation_metrics
from movierec.gnn.models.scorers import History, ItemItemScorer, Scorer

logger = logging.getLogger(__name__)

DOUBLE_MAX_ITEMS = 12_000  # EASE inverts in float64 up to this many movies, float32 beyond
PEER_SCALES: tuple[float, ...] = (2.0, 4.0, 8.0, 16.0, 32.0, 64.0)  # λ grid of the EASE peer, × mean diag(RᵀR)
PEER_MAX_ITEMS = 10_000  # the item-item peers cover the most rated movies only, beyond this (labelled)


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


def choose_ease(history: History, edges: Edges, max_items: int, keep: int, k: int,
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
        val = validation_metrics(scorer, history, edges, k, seed)
        rows.append({"member": 0, "epoch": len(rows) + 1, "loss": value, f"val_recall@{k}": val[f"recall@{k}"],
                     f"val_ndcg@{k}": val[f"ndcg@{k}"], "seconds": time.perf_counter() - t0})
        logger.info("EASE λ=%.1f: validation NDCG@%s %.4f", value, k, val[f"ndcg@{k}"])
        if best is None or val[f"ndcg@{k}"] > best[1]:
            best = (value, val[f"ndcg@{k}"], scorer.weight)
    assert best is not None
    return best[0], scale, ItemItemScorer(history, items, best[2]), rows


class Ease(ClosedFormModel):
    """EASE on the rating-weighted graph (``weighting``), λ on the validation edges."""

    name: ClassVar[str] = "ease"
    summary: ClassVar[str] = "closed-form item-item ranker on the rating graph (fast; covers the 10,000 most rated)"

    def fit_ranker(self, history: History, edges: Edges, svd: GraphSVD,
                   ) -> tuple[Scorer, list[dict[str, Any]], dict[str, Any], dict[str, Any]]:
        config = self.config
        lam, scale, rank, rows = choose_ease(history, edges, config.max_items, config.keep, config.k, config.seed,
                                             config.lambda_scales, config.ease_lambda)
        extra = {"ease_lambda": lam, "items": len(rank.items), "lambda_scale": lam / scale}
        # EASE's parameters are λ and the movies it covers: B is rebuilt from them and the training edges
        # (scoring.pt keeps the fitted B for serving)
        weights = {"ease": {"lambda": torch.tensor(lam, dtype=torch.float64), "items": rank.items,
                            "keep": torch.tensor(self.config.keep)}}
        return rank, rows, weights, extra

    def rebuild_ranker(self, weights: dict[str, Any], history: History) -> Scorer:
        state = weights["ease"]
        items = state["items"].long()
        return ItemItemScorer(history, items, ease_weight(gram(history, items), float(state["lambda"]),
                                                          int(state["keep"])))


class EaseBinary(Peer):
    """The EASE peer: EASE on the binary graph, unpruned, λ on validation from :data:`PEER_SCALES`."""

    name: ClassVar[str] = "ease_binary"

    def fit(self, edges: PeerEdges, k: int, seed: int) -> PeerFit:
        binary = History.from_edges(edges.train_ei, edges.train_r, edges.num_users, edges.num_movies, "binary")
        lam, _, ease, _ = choose_ease(binary, (edges.train_ei, edges.val_ei, edges.val_r), PEER_MAX_ITEMS, 0, k,
                                      seed, PEER_SCALES)
        return PeerFit(ease, None, f"the EASE peer (Steck 2019) on the binary graph, λ={lam:.6g} on validation"
                                   f"{covered(ease.items, edges)}")


def covered(items: Tensor, edges: PeerEdges) -> str:
    """``""`` when an item-item peer covers every rated movie, else ``", the N most rated movies of M"``."""
    rated = int((torch.bincount(edges.train_ei[1], minlength=edges.num_movies) > 0).sum())
    return "" if len(items) == rated else f", the {len(items):,} most rated movies of {rated:,}"
