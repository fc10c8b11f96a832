"""Run directories: everything a trained model needs to score without the graph, and :func:`load_run`.

A run directory (default parent ``runs/``) holds:

- ``config.json``: the training config, split, subgraph filter, export figures, rating range;
- ``weights.pt``: the trained modules' ``state_dict`` s;
- ``ids.json``: ``user_ids`` / ``movie_ids``, the Neo4j id of each tensor index;
- ``scoring.pt``: the ranking and rating :class:`~movierec.gnn.model.LinearScorer` s (each side projected once)
  and ``embeddings.pt``: the final user / movie embeddings written back to Neo4j;
- ``split.pt``: the rating edges and the train / validation / test indices (``movierec evaluate``
  recomputes the baselines on exactly this split);
- ``history.csv``: one row per epoch; ``metrics.json``: the test metrics; ``curve.png``: the training curve.

Example:
    >>> run = load_run("runs/20261128-233000-lightgcn")  # doctest: +SKIP
    >>> run.score(torch.arange(10)).shape                 # doctest: +SKIP
    torch.Size([10, 9742])
"""

from __future__ import annotations

import csv
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import torch
from torch_geometric.data import HeteroData

from movierec.core.errors import NotFoundError
from movierec.gnn.config import SubgraphFilter, TrainConfig
from movierec.gnn.export import MOVIE, RATES, USER, ExportStats, id_mapping
from movierec.gnn.metrics import ranking_metrics, rating_metrics
from movierec.gnn.model import LinearScorer
from movierec.gnn.split import EdgeSplit
from movierec.gnn.train import EpochCallback, TrainResult, train

logger = logging.getLogger(__name__)

DEFAULT_RUNS_DIR = Path("runs")
_FILES = ("config.json", "ids.json", "scoring.pt", "embeddings.pt")


@dataclass
class TrainedRun:
    """A trained model as saved in its run directory.

    Args:
        run_id (str): The run directory's name, e.g. ``"20261128-233000-lightgcn"``.
        path (Path): The run directory.
        model (str): ``"sage"`` or ``"lightgcn"``.
        config (dict[str, Any]): The training config (``TrainConfig`` as a dict).
        metrics (dict[str, Any]): Test metrics: ``rmse``, ``mae``, ``recall@10``, ``ndcg@10``, ``hitrate@10``, ...
        user_ids (list[int]): Neo4j ``userId`` of tensor index ``i``.
        movie_ids (list[int]): Neo4j ``movieId`` of tensor index ``j``.
        rank_scorer (LinearScorer): Ranking scores.
        rating_scorer (LinearScorer): Ratings (before clamping).
        rating_range (tuple[float, float]): Predictions are clamped to it.
        user_embedding (torch.Tensor): ``[U, d]`` final user embeddings.
        movie_embedding (torch.Tensor): ``[M, d]`` final movie embeddings.
    """

    run_id: str
    path: Path
    model: str
    config: dict[str, Any]
    metrics: dict[str, Any]
    user_ids: list[int]
    movie_ids: list[int]
    rank_scorer: LinearScorer = field(repr=False)
    rating_scorer: LinearScorer = field(repr=False)
    rating_range: tuple[float, float] = (0.5, 5.0)
    user_embedding: torch.Tensor = field(default_factory=lambda: torch.zeros(0, 0), repr=False)
    movie_embedding: torch.Tensor = field(default_factory=lambda: torch.zeros(0, 0), repr=False)

    def embeddings(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Final node embeddings ``[U, d]``, ``[M, d]`` (float32), row ``i`` ↔ ``user_ids[i]`` / ``movie_ids[i]``."""
        return self.user_embedding.float(), self.movie_embedding.float()

    @torch.no_grad()
    def score(self, user_index: torch.Tensor) -> torch.Tensor:
        """Ranking scores ``[len(user_index), M]`` of every movie (higher = better); one matrix product."""
        return self.rank_scorer.scores(user_index.long())

    @torch.no_grad()
    def predict_rating(self, user_index: torch.Tensor, movie_index: torch.Tensor) -> torch.Tensor:
        """Predicted rating of each (user, movie) pair, clamped to the training rating range."""
        return self.rating_scorer.pairs(user_index.long(), movie_index.long()).clamp(*self.rating_range)

    def split(self) -> tuple[torch.Tensor, torch.Tensor, EdgeSplit]:
        """The rating edges (``[2, E]`` indices, ``[E]`` ratings) and the split the run was trained on.

        Raises:
            NotFoundError: The run directory has no ``split.pt``.
        """
        path = self.path / "split.pt"
        if not path.is_file():
            raise NotFoundError(f"run {self.path} has no split.pt")
        state = torch.load(path, weights_only=True)
        return state["edge_index"], state["rating"], EdgeSplit(state["train"], state["val"], state["test"])


def load_run(path: str | Path) -> TrainedRun:
    """Load a run directory written by :func:`train_run` (``movierec train``).

    Args:
        path (str | Path): The run directory.

    Returns:
        TrainedRun: The run, ready to score on CPU.

    Raises:
        NotFoundError: No such directory, or it is not a complete run directory.
    """
    path = Path(path)
    if not path.is_dir():
        raise NotFoundError(f"no run at {path}")
    missing = [name for name in _FILES if not (path / name).is_file()]
    if missing:
        raise NotFoundError(f"{path} is not a run directory (missing {', '.join(missing)})")
    try:
        meta = json.loads((path / "config.json").read_text(encoding="utf-8"))
        ids = json.loads((path / "ids.json").read_text(encoding="utf-8"))
        scoring = torch.load(path / "scoring.pt", weights_only=True)
        embeddings = torch.load(path / "embeddings.pt", weights_only=True)
        metrics_path = path / "metrics.json"
        metrics = json.loads(metrics_path.read_text(encoding="utf-8")) if metrics_path.is_file() else {}
        return TrainedRun(
            run_id=meta["run_id"],
            path=path,
            model=meta["model"],
            config=meta["config"],
            metrics=metrics,
            user_ids=[int(i) for i in ids["user_ids"]],
            movie_ids=[int(i) for i in ids["movie_ids"]],
            rank_scorer=LinearScorer.from_state(scoring["rank"]),
            rating_scorer=LinearScorer.from_state(scoring["rating"]),
            rating_range=(float(scoring["rating_range"][0]), float(scoring["rating_range"][1])),
            user_embedding=embeddings["user"].float(),
            movie_embedding=embeddings["movie"].float(),
        )
    except (OSError, KeyError, ValueError, RuntimeError) as e:
        raise NotFoundError(f"{path} is not a readable run directory: {e}") from e


def new_run_id(model: str, runs_dir: Path) -> str:
    """``YYYYmmdd-HHMMSS-<model>``, with ``-2``, ``-3``... when that directory exists already."""
    base = f"{datetime.now(timezone.utc):%Y%m%d-%H%M%S}-{model}"
    run_id, n = base, 1
    while (runs_dir / run_id).exists():
        n += 1
        run_id = f"{base}-{n}"
    return run_id


def held_out_metrics(result: TrainResult, edge_index: torch.Tensor, rating: torch.Tensor, split: EdgeSplit,
                 num_movies: int, k: int = 10) -> dict[str, float]:
    """Test RMSE/MAE (rating scorer, clamped) and ranking metrics (rank scorer) of a training result."""
    test_ei, test_r = edge_index[:, split.test], rating[split.test]
    out = rating_metrics(result.rating.pairs(*test_ei).clamp(*result.rating_range), test_r)
    out.update(ranking_metrics(result.rank.scores, edge_index[:, split.train], test_ei, test_r, num_movies, k=k))
    return out


def train_run(
    data: HeteroData,
    split: EdgeSplit,
    config: TrainConfig,
    runs_dir: str | Path = DEFAULT_RUNS_DIR,
    where: SubgraphFilter | None = None,
    export_stats: ExportStats | None = None,
    progress: EpochCallback | None = None,
) -> TrainedRun:
    """Train ``config.model``, measure it on the test edges and write a new run directory.

    Args:
        data (HeteroData): The exported graph.
        split (EdgeSplit): Its train / validation / test edges.
        config (TrainConfig): Hyper-parameters.
        runs_dir (str | Path): Parent of the run directory. (default: ``runs``)
        where (SubgraphFilter, optional): The filter the graph was exported with (recorded).
        export_stats (ExportStats, optional): Export figures (recorded).
        progress (Callable[[dict], None], optional): Called after every epoch (and mini-batch step, see
            :func:`movierec.gnn.train.train`).

    Returns:
        TrainedRun: The saved run.

    Raises:
        TrainError: Training failed (see :func:`movierec.gnn.train.train`).
    """
    result = train(data, split, config, progress)
    edge_index, rating = data[RATES].edge_index, data[RATES].edge_label
    metrics = held_out_metrics(result, edge_index, rating, split, data[MOVIE].num_nodes, k=config.k)
    metrics["seconds_per_epoch"] = result.seconds_per_epoch
    metrics["epochs"] = len(result.history)
    runs_dir = Path(runs_dir)
    runs_dir.mkdir(parents=True, exist_ok=True)
    run_id = new_run_id(config.model, runs_dir)
    path = runs_dir / run_id
    path.mkdir()
    user_ids, movie_ids = id_mapping(data)
    meta = {
        "run_id": run_id,
        "model": config.model,
        "created_at": datetime.now(timezone.utc).isoformat(),
        "config": config.to_dict(),
        "where": (where or SubgraphFilter()).to_dict(),
        "export": None if export_stats is None else {
            "edges": export_stats.edges, "users": export_stats.users, "movies": export_stats.movies,
            "seconds": export_stats.seconds, "edges_per_second": export_stats.edges_per_second},
        "split_sizes": split.sizes(),
        "rating_range": list(result.rating_range),
        "num_users": data[USER].num_nodes,
        "num_movies": data[MOVIE].num_nodes,
        "extra": result.extra,
    }
    (path / "config.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    (path / "ids.json").write_text(json.dumps({"user_ids": user_ids, "movie_ids": movie_ids}) + "\n",
                                   encoding="utf-8")
    torch.save(result.weights, path / "weights.pt")
    torch.save({"rank": result.rank.state(), "rating": result.rating.state(),
                "rating_range": list(result.rating_range)}, path / "scoring.pt")
    torch.save({"user": result.rank.user.float().contiguous(), "movie": result.rank.movie.float().contiguous()},
               path / "embeddings.pt")
    torch.save({"edge_index": edge_index, "rating": rating, "train": split.train, "val": split.val,
                "test": split.test}, path / "split.pt")
    _write_history(result.history, path / "history.csv")
    (path / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    _plot_curve(result.history, path / "curve.png", config.model)
    logger.info("run %s written to %s", run_id, path)
    return load_run(path)


def _write_history(history: list[dict[str, Any]], path: Path) -> None:
    if not history:
        path.write_text("", encoding="utf-8")
        return
    columns = list(history[0])
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(history)


def _plot_curve(history: list[dict[str, Any]], path: Path, model: str) -> None:
    """Training loss and the validation metric per epoch (one line per ensemble member)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    val_key = next((k for k in (history[0] if history else {}) if k.startswith("val_")), None)
    fig, (ax_loss, ax_val) = plt.subplots(1, 2, figsize=(10, 4))
    members = sorted({row["member"] for row in history})
    for member in members:
        rows = [row for row in history if row["member"] == member]
        label = f"member {member}" if len(members) > 1 else None
        ax_loss.plot([r["epoch"] for r in rows], [r["loss"] for r in rows], label=label)
        if val_key is not None:
            ax_val.plot([r["epoch"] for r in rows], [r[val_key] for r in rows], label=label)
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("training loss")
    ax_val.set_xlabel("epoch")
    ax_val.set_ylabel(val_key.replace("val_", "validation ") if val_key else "validation")
    if len(members) > 1:
        ax_val.legend()
    fig.suptitle(f"{model}: training curve")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
