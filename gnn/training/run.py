"""The training driver: train a model, measure it on the held-out edges, save a run directory.

The run directory's format and :func:`~movierec.gnn.training.run_dir.load_run` live in
:mod:`movierec.gnn.training.run_dir`; rebuilding the model from it in :mod:`movierec.gnn.training.rebuild`.

Example:
    >>> run = train_run(data, split_edges(data, SplitConfig()), config_for("lightgcn"))  # doctest: +SKIP
    >>> run.metrics["ndcg@10"]                                                                         # doctest: +SKIP
    0.14
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timezone
from pathlib import Path

import torch
from torch_geometric.data import HeteroData

from movierec.gnn.data.export import ExportStats, id_mapping
from movierec.gnn.data.hetero import MOVIE, RATES, USER, movie_genres
from movierec.gnn.data.split import EdgeSplit
from movierec.gnn.data.where import SubgraphFilter
from movierec.gnn.evaluation.metrics import ranking_metrics, rating_metrics
from movierec.gnn.evaluation.plots import plot_curve, plot_movies
from movierec.gnn.models.base import EpochCallback, TrainResult
from movierec.gnn.serving.similar import GENRE_WEIGHT, similar_movies
from movierec.gnn.training.config import TrainConfig
from movierec.gnn.training.run_dir import DEFAULT_RUNS_DIR, RunFiles, TrainedRun, load_run, new_run_id, save_run
from movierec.gnn.training.train import train

logger = logging.getLogger(__name__)


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
        progress (EpochCallback, optional): Called after every epoch (and mini-batch step, see
            :func:`movierec.gnn.training.train.train`).

    Returns:
        TrainedRun: The saved run.

    Raises:
        TrainError: Training failed (see :func:`movierec.gnn.training.train.train`).
    """
    started = time.perf_counter()
    result = train(data, split, config, progress)
    train_seconds = time.perf_counter() - started
    edge_index, rating = data[RATES].edge_index, data[RATES].edge_label
    logger.info("trained in %.1f s; measuring the test edges", train_seconds)
    metrics = held_out_metrics(result, edge_index, rating, split, data[MOVIE].num_nodes, k=config.k)
    metrics["seconds_per_epoch"] = result.seconds_per_epoch
    metrics["epochs"] = len(result.history)
    metrics["train_seconds"] = train_seconds
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
            "seconds": export_stats.seconds, "edges_per_second": export_stats.edges_per_second,
            "read_at": export_stats.read_at},
        "split_sizes": split.sizes(),
        "rating_range": list(result.rating_range),
        "num_users": data[USER].num_nodes,
        "num_movies": data[MOVIE].num_nodes,
        "extra": result.extra,
    }
    user_emb, movie_emb = result.embeddings()
    # every rating the run exported, not only the training split: SIMILAR is browsed, never scored against the
    # held-out edges, and on ml-latest-small the 80% split alone drops Toy Story 2 from Toy Story's top 10 (12th)
    logger.info("test metrics in %.1f s; similar movies by co-rating", time.perf_counter() - started - train_seconds)
    genre_onehots = movie_genres(data)
    similar_weight = GENRE_WEIGHT if genre_onehots is not None else 0.0
    similar = similar_movies(edge_index, data[USER].num_nodes, data[MOVIE].num_nodes, k=config.similar_k,
                             genres=genre_onehots, genre_weight=similar_weight)
    logger.info("saving the run directory")
    save_run(path, RunFiles(
        meta=meta, user_ids=user_ids, movie_ids=movie_ids, weights=result.weights, rank=result.rank,
        rating=result.rating, user_embedding=user_emb, movie_embedding=movie_emb, rating_range=result.rating_range,
        edge_index=edge_index, rating_values=rating,
        split=split, user_x=data[USER].get("x"), movie_x=data[MOVIE].get("x"), history=result.history,
        metrics=metrics, similar=similar, similar_genre_weight=similar_weight,
    ))
    plot_curve(result.history, path / "curve.png", config.model)
    counts = torch.bincount(edge_index[1, split.train], minlength=data[MOVIE].num_nodes)
    genres = list(getattr(data, "genres", None) or [])
    movie_x = data[MOVIE].get("x")
    plot_movies(movie_emb, movie_x if movie_x is not None else torch.zeros(len(movie_emb), 0), genres, counts,
                data[MOVIE].get("title"), path / "movies.png", config.model)
    logger.info("run %s written to %s", run_id, path)
    return load_run(path)
