"""Stage ``train``: seconds per epoch and peak RSS of movierec's models, on CPU.

Variants (:func:`movierec.gnn.training.train.train`, one model, ``--epochs`` epochs, no early stop):

- ``sage`` full-batch and mini-batch (neighbour sampling, ``movierec.gnn.data.sampler``);
- ``lightgcn`` (the GNN ranker, softmax over the movies: full or sampled by size) with its default user batches
  (5 steps an epoch, at least 128 users), and full-batch (every user in one step).

Peer: the biased matrix factorisation baseline (:func:`movierec.gnn.models.mf.matrix_factorization`,
full-batch Adam) for the same number of epochs on the same training edges: the cost of the
classic model every GNN epoch is compared with.

The graph is exported once into ``<bench root>/graph/<dataset>.pt``; every variant then runs
in its own child process (peak RSS its own), with a time limit: a variant that does not
finish its epochs in time is reported as such, not extrapolated.
"""

from __future__ import annotations

import logging
import os
import statistics
import time
from pathlib import Path
from typing import Any

from bench.child import ChildError, run_in_child
from bench.context import Context
from bench.report import Row, StageResult
from movierec.core.settings import Neo4jSettings
from movierec.gnn.models.registry import config_for

logger = logging.getLogger(__name__)

CHILD_TIMEOUT_S = float(os.environ.get("BENCH_TRAIN_TIMEOUT_S", "300"))


def child_prepare(uri: str, out: str) -> dict[str, Any]:
    """In a child: export the whole graph and save it for the training children."""
    from movierec.core.db import connect
    from movierec.core.settings import Neo4jSettings
    from movierec.gnn.data.export import export_graph, save_heterodata

    with connect(Neo4jSettings(uri=uri, password=os.environ["BENCH_NEO4J_PASSWORD"])) as graph:
        data, stats = export_graph(graph)
    save_heterodata(data, out)
    return {"edges": stats.edges, "seconds": stats.total_seconds}


def _load(data_path: str) -> tuple[Any, Any]:
    import torch

    from movierec.gnn.data.export import load_heterodata
    from movierec.gnn.data.split import SplitConfig, split_edges

    torch.set_num_threads(os.cpu_count() or 1)
    data = load_heterodata(data_path)
    return data, split_edges(data, SplitConfig())


def child_train(data_path: str, model: str, minibatch: bool, epochs: int, batch_size: int | None) -> dict[str, Any]:
    """In a child: ``epochs`` epochs of one model; per-epoch seconds from the training history."""
    from movierec.gnn.training.train import train

    data, split = _load(data_path)
    # one ensemble member (sage) and one rating-head epoch (the rankers): the epochs of the model itself are timed
    overrides: dict[str, Any] = {"epochs": epochs, "patience": epochs + 1, "device": "cpu", "minibatch": minibatch,
                                 "ensemble": 1, "rating_head_epochs": 1}
    if batch_size is not None:
        overrides["batch_size"] = batch_size if batch_size > 0 else len(split.train)
    config = config_for(model, **overrides)
    started = time.perf_counter()
    result = train(data, split, config)
    total = time.perf_counter() - started
    seconds = [row["seconds"] for row in result.history]
    return {"epoch_seconds": seconds, "total_seconds": total, "train_edges": len(split.train),
            "batch_size": config.batch_size}


def child_mf(data_path: str, epochs: int) -> dict[str, Any]:
    """In a child: the full-batch MF baseline for ``epochs`` epochs."""
    from movierec.gnn.data.hetero import MOVIE, RATES, USER
    from movierec.gnn.models.mf import matrix_factorization

    data, split = _load(data_path)
    ei, r = data[RATES].edge_index, data[RATES].edge_label.float()
    started = time.perf_counter()
    matrix_factorization(ei[:, split.train], r[split.train], ei[:, split.val], r[split.val],
                         data[USER].num_nodes, data[MOVIE].num_nodes, epochs=epochs, patience=epochs + 1)
    total = time.perf_counter() - started
    return {"epoch_seconds": [total / epochs], "total_seconds": total, "train_edges": len(split.train)}


VARIANTS: list[tuple[str, str, bool, int | None]] = [
    # name, model, minibatch, batch size (None = the model's default, 0 = every training edge)
    ("sage full-batch", "sage", False, None),
    ("sage mini-batch (movierec.gnn.data.sampler)", "sage", True, None),
    ("lightgcn, 5 user batches an epoch", "lightgcn", False, None),
    ("lightgcn full-batch", "lightgcn", False, 0),
]


def _row(name: str, result: dict[str, Any] | None, peer: bool = False, note: str = "") -> Row:
    if result is None:
        return Row(name=name, peer=peer, note=note,
                   figures={"s/epoch": None, "median s/epoch": None, "edges/s": None, "peak RSS": None})
    seconds = result["epoch_seconds"]
    mean = sum(seconds) / len(seconds)
    return Row(name=name, peer=peer, note=note, figures={
        "s/epoch": mean, "median s/epoch": statistics.median(seconds),
        "edges/s": result["train_edges"] / mean, "peak RSS": result["peak_rss_mib"],
    })


def exported_graph(ctx: Context) -> tuple[Neo4jSettings, dict[str, str], Path]:
    """The benchmark graph's settings, the child environment, and its exported HeteroData file (made once)."""
    server = ctx.ensure_graph()
    settings = server.settings()
    env = {"BENCH_NEO4J_PASSWORD": settings.password or ""}
    data_path = ctx.work_dir("graph") / f"{ctx.dataset.name}.pt"
    if not data_path.exists():
        run_in_child("bench.train:child_prepare", {"uri": settings.uri, "out": str(data_path)}, env=env)
    return settings, env, data_path


def run(ctx: Context) -> StageResult:
    """Measure training on the benchmark graph."""
    settings, env, data_path = exported_graph(ctx)
    result = StageResult(
        stage="train", dataset=ctx.dataset.name, ratings=ctx.dataset.ratings, primary="s/epoch",
        units={"s/epoch": "s", "median s/epoch": "s", "edges/s": "", "peak RSS": "MiB"},
    )
    epochs = ctx.epochs
    try:
        mf = run_in_child("bench.train:child_mf", {"data_path": str(data_path), "epochs": epochs},
                          timeout=CHILD_TIMEOUT_S)
        result.rows.append(_row("MF baseline full-batch", mf, peer=True,
                                note=f"{epochs} full-batch Adam steps on {mf['train_edges']:,} training edges"))
    except ChildError as e:
        result.rows.append(_row("MF baseline full-batch", None, peer=True, note=_short(e)))
    for name, model, minibatch, batch_size in VARIANTS:
        kwargs = {"data_path": str(data_path), "model": model, "minibatch": minibatch, "epochs": epochs,
                  "batch_size": batch_size}
        try:
            out = run_in_child("bench.train:child_train", kwargs, timeout=CHILD_TIMEOUT_S)
        except ChildError as e:
            result.rows.append(_row(name, None, note=_short(e)))
            continue
        note = f"{len(out['epoch_seconds'])} epochs, batch {out['batch_size']:,}; per epoch " + ", ".join(
            f"{s:.2f}" for s in out["epoch_seconds"])
        result.rows.append(_row(name, out, note=note))
    result.extra["epochs"] = epochs
    result.extra["device"] = "cpu"
    result.extra["data_path"] = str(data_path)
    return result


def _short(error: Exception) -> str:
    lines = [line for line in str(error).splitlines() if line.strip()]
    return " / ".join(lines[:1] + lines[-1:]) if lines else type(error).__name__


def data_file(ctx: Context) -> Path:
    return ctx.work_dir("graph") / f"{ctx.dataset.name}.pt"
