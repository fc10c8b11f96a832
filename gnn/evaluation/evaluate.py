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

from movierec.core.text import format_table
from movierec.gnn.evaluation.metrics import ranking_metrics, rating_metrics
from movierec.gnn.models.base import PeerEdges
from movierec.gnn.models.registry import PEERS
from movierec.gnn.models.scorers import LinearScorer, Scorer
from movierec.gnn.training.run_dir import TrainedRun

logger = logging.getLogger(__name__)



@dataclass
class Evaluation:
    """Test metrics of a run and of the baselines on its split.

    Args:
        run_id (str): The run.
        model_name (str): The run's model, e.g. ``"ease"``.
        model (dict[str, float]): The model's metrics.
        baselines (dict[str, dict[str, float | None]]): Per baseline; ``None`` where it does not apply
            (popularity predicts no ratings).
        k (int): Cut-off of the ranking metrics.
        notes (dict[str, str]): What a row's model is, where the name is not enough (the peers' settings).
        train_seconds (float, optional): How long the run took to train (its ``metrics.json``; time to quality).
    """

    run_id: str
    model_name: str
    model: dict[str, float]
    baselines: dict[str, dict[str, float | None]]
    k: int
    notes: dict[str, str] = field(default_factory=dict)
    train_seconds: float | None = None

    def to_json(self) -> dict[str, Any]:
        """``{"run_id", "model_name", "k", "model": {...}, "baselines": {name: {...}}, "notes", "train_seconds"}``."""
        return {"run_id": self.run_id, "model_name": self.model_name, "k": self.k, "model": self.model,
                "baselines": self.baselines, "notes": self.notes, "train_seconds": self.train_seconds}

    def table(self) -> str:
        """One plain-text table: the model first, then each baseline."""
        k = self.k
        columns = ["rmse", "mae", f"recall@{k}", f"ndcg@{k}", f"hitrate@{k}"]
        header = ["model", "RMSE", "MAE", f"Recall@{k}", f"NDCG@{k}", f"HitRate@{k}"]
        rows: list[list[Any]] = [[self.model_name, *(self.model.get(c) for c in columns)]]
        rows += [[name, *(metrics.get(c) for c in columns)] for name, metrics in self.baselines.items()]
        text = format_table(header, rows, rule=True)
        return text + "".join(f"\n  {name}: {note}" for name, note in self.notes.items())


def evaluate_run(run: TrainedRun) -> Evaluation:
    """Measure ``run`` and the peers (:data:`~movierec.gnn.models.registry.PEERS`) on the run's test edges.

    Args:
        run (TrainedRun): A loaded run.

    Returns:
        Evaluation: Model and peer metrics.

    Raises:
        NotFoundError: The run directory has no saved split.
    """
    edge_index, rating, split = run.split()
    k = run.config.k
    num_users, num_movies = len(run.user_ids), len(run.movie_ids)
    train_ei, train_r = edge_index[:, split.train], rating[split.train]
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
    edges = PeerEdges(train_ei, train_r, edge_index[:, split.val], rating[split.val], num_users, num_movies)
    results: dict[str, dict[str, float | None]] = {}
    notes: dict[str, str] = {}
    for name, peer in PEERS.items():
        fitted = peer().fit(edges, k, run.config.seed)
        results[name] = measure(fitted.rank, fitted.rating)
        if fitted.note:
            notes[name] = fitted.note
    measured = {key: value for key, value in model.items() if value is not None}
    return Evaluation(run_id=run.run_id, model_name=run.model, model=measured, baselines=results, k=k, notes=notes,
                      train_seconds=run.metrics.get("train_seconds"))
