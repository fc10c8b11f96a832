"""GF-CF (Shen et al., CIKM 2021): a closed-form graph filter, LightGCN's infinite-layer limit.

``R̃ = D_u^-β R D_i^-β`` scaled to spectral norm 1; ``score(u) = r_u R̃ᵀR̃ + α r_u D_i^-β V Vᵀ D_i^β`` with ``V``
the top ``filter_rank`` right singular vectors of ``R̃``: a linear low-pass filter on the graph plus an ideal
low-pass filter (:class:`~movierec.gnn.models.scorers.GraphFilterScorer`).
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

import torch

from movierec.gnn.models.closed_form import ClosedFormModel, Edges, GraphSVD, validation_metrics
from movierec.gnn.models.scorers import GraphFilterScorer, History, Scorer, scorer_from_state


class GFCF(ClosedFormModel):
    """GF-CF on the training graph; ``filter_beta``, ``filter_rank`` and ``filter_alpha`` set the filter."""

    name: ClassVar[str] = "gfcf"
    summary: ClassVar[str] = "closed-form graph filter (GF-CF)"

    def fit_ranker(self, history: History, edges: Edges, svd: GraphSVD,
                   ) -> tuple[Scorer, list[dict[str, Any]], dict[str, Any], dict[str, Any]]:
        config = self.config
        start = time.perf_counter()
        movie_inv = svd.movie_inv
        basis = svd.right[:, :config.filter_rank]
        movie_fwd = torch.where(movie_inv > 0, movie_inv.clamp(min=1e-12).reciprocal(), torch.zeros_like(movie_inv))
        root_top = float(svd.singular[0]) ** 0.5
        rank = GraphFilterScorer(history, svd.user_norm / root_top, movie_inv / root_top, movie_inv, movie_fwd,
                                 basis, config.filter_alpha)
        val = validation_metrics(rank, history, edges, config.k, config.seed)
        rows = [{"member": 0, "epoch": 1, "loss": 0.0, f"val_ndcg@{config.k}": val[f"ndcg@{config.k}"],
                 f"val_recall@{config.k}": val[f"recall@{config.k}"], "seconds": time.perf_counter() - start}]
        return rank, rows, {"gfcf": rank.state()}, {}

    def rebuild_ranker(self, weights: dict[str, Any], history: History) -> Scorer:
        return scorer_from_state(weights["gfcf"], history)
