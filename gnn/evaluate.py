"""Evaluate a run against the classic baselines, all on the run's own split.

The run directory keeps its rating edges and split (``split.pt``), so the baselines are fitted on
exactly the training edges the model saw and measured on exactly its test edges: global mean, user +
item bias, matrix factorisation, popularity, and the two strongest simple top-K peers, EASE (binary,
Steck 2019, λ chosen on the validation edges) and ItemKNN (cosine over co-ratings, the number of
neighbours chosen on validation). The item-item peers cover the 10,000 most-rated movies when there
are more; the table's notes say so.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import torch

from movierec.core.text import format_table
from movierec.gnn import baselines
from movierec.gnn.closed_form import choose_ease, choose_item_knn
from movierec.gnn.metrics import ranking_metrics, rating_metrics
from movierec.gnn.model import LinearScorer
from movierec.gnn.run_dir import TrainedRun
from movierec.gnn.scorers import History, Scorer

logger = logging.getLogger(__name__)

BASELINES: tuple[str, ...] = ("global_mean", "bias", "mf", "popularity", "ease_binary", "itemknn")
EASE_SCALES: tuple[float, ...] = (2.0, 4.0, 8.0, 16.0, 32.0, 64.0)  # λ grid of the EASE peer, × mean diag(RᵀR)
PEER_MAX_ITEMS = 10_000  # the item-item peers cover the most rated movies only, beyond this (labelled)


@dataclass
class Evaluation:
    """Test metrics of a run and of the baselines on its split.

    Args:
        run_id (str): The run.
        model_name (str): ``"sage"`` or ``"lightgcn"``.
        model (dict[str, float]): The model's metrics.
        baselines (dict[str, dict[str, float | None]]): Per baseline; ``None`` where it does not apply
            (popularity predicts no ratings).
        k (int): Cut-off of the ranking metrics.
        notes (dict[str, str]): What a row's model is, where the name is not enough (the peers' settings).
    """

    run_id: str
    model_name: str
    model: dict[str, float]
    baselines: dict[str, dict[str, float | None]]
    k: int
    notes: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """``{"run_id", "model_name", "k", "model": {...}, "baselines": {name: {...}}}``."""
        return {"run_id": self.run_id, "model_name": self.model_name, "k": self.k, "model": self.model,
                "baselines": self.baselines, "notes": self.notes}

    def table(self) -> str:
        """One plain-text table: the model first, then each baseline."""
        k = self.k
        columns = ["rmse", "mae", f"recall@{k}", f"ndcg@{k}", f"hitrate@{k}"]
        header = ["model", "RMSE", "MAE", f"Recall@{k}", f"NDCG@{k}", f"HitRate@{k}"]
        rows: list[list[Any]] = [[self.model_name, *(self.model.get(c) for c in columns)]]
        rows += [[name, *(metrics.get(c) for c in columns)] for name, metrics in self.baselines.items()]
        text = format_table(header, rows, rule=True)
        return text + "".join(f"\n  {name}: {note}" for name, note in self.notes.items())


def evaluate_run(run: TrainedRun, mf_epochs: int = 300) -> Evaluation:
    """Measure ``run`` and the baselines on the run's test edges.

    Args:
        run (TrainedRun): A loaded run.
        mf_epochs (int): Maximum full-batch steps of the MF baseline. (default: ``300``)

    Returns:
        Evaluation: Model and baseline metrics.

    Raises:
        NotFoundError: The run directory has no saved split.
    """
    edge_index, rating, split = run.split()
    k = run.config.k
    num_users, num_movies = len(run.user_ids), len(run.movie_ids)
    train_ei, train_r = edge_index[:, split.train], rating[split.train]
    val_ei, val_r = edge_index[:, split.val], rating[split.val]
    test_ei, test_r = edge_index[:, split.test], rating[split.test]
    lo, hi = run.rating_range

    def measure(rank: Scorer, rate: LinearScorer | None) -> dict[str, float | None]:
        out: dict[str, float | None] = {"rmse": None, "mae": None}
        if rate is not None:
            out.update(rating_metrics(rate.pairs(*test_ei).clamp(lo, hi), test_r))
        ranking = ranking_metrics(rank.scores, train_ei, test_ei, test_r, num_movies, k=k)
        out.update({key: value for key, value in ranking.items() if key != "users"})
        return out

    model = measure(run.rank_scorer, run.rating_scorer)
    results: dict[str, dict[str, float | None]] = {}
    mean = baselines.global_mean(train_r, num_users, num_movies)
    results["global_mean"] = measure(mean, mean)
    bias = baselines.bias(train_ei, train_r, num_users, num_movies)
    results["bias"] = measure(bias, bias)
    mf = baselines.matrix_factorization(train_ei, train_r, val_ei, val_r, num_users, num_movies, epochs=mf_epochs,
                                        seed=run.config.seed)
    results["mf"] = measure(mf, mf)
    results["popularity"] = measure(baselines.popularity(train_ei, num_users, num_movies), None)
    binary = History.from_edges(train_ei, train_r, num_users, num_movies, weighting="binary")
    edges = (train_ei, val_ei, val_r)
    lam, _, ease, _ = choose_ease(binary, edges, PEER_MAX_ITEMS, 0, k, run.config.seed, EASE_SCALES)
    rated = int((torch.bincount(train_ei[1], minlength=num_movies) > 0).sum())
    covered = "" if len(ease.items) == rated else f", the {len(ease.items):,} most rated movies of {rated:,}"
    notes = {"ease_binary": f"the EASE peer (Steck 2019) on the binary graph, λ={lam:.6g} on validation{covered}"}
    results["ease_binary"] = measure(ease, None)
    neighbours, knn = choose_item_knn(binary, edges, PEER_MAX_ITEMS, k, run.config.seed)
    notes["itemknn"] = f"cosine over co-ratings, {neighbours or 'all'} neighbours on validation{covered}"
    results["itemknn"] = measure(knn, None)
    with torch.no_grad():
        return Evaluation(run_id=run.run_id, model_name=run.model,
                          model={k_: v for k_, v in model.items() if v is not None}, baselines=results, k=k,
                          notes=notes)
