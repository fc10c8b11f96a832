"""The whole loop as one library call: ingest -> export -> split -> train -> write back.

This is the library behind ``movierec pipeline``; the CLI only parses options, draws progress
bars and prints. Each step is the stage's own entry point (:func:`movierec.ingest.load.ingest_release`,
:func:`movierec.gnn.data.export.export_graph`, :func:`movierec.gnn.data.split.split_edges`,
:func:`movierec.gnn.training.run.train_run`, :func:`movierec.gnn.serving.writeback.write_back`).

Example:
    >>> with connect(Neo4jSettings.resolve()) as graph:                       # doctest: +SKIP
    ...     result = run_pipeline(graph, Path("ml-latest-small"), config_for("lightgcn"))
    >>> result.writeback.recommendations                                       # doctest: +SKIP
    12200
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from movierec.core.db import Graph
from movierec.core.progress import ProgressFactory
from movierec.gnn.data.export import export_graph
from movierec.gnn.data.split import split_edges
from movierec.gnn.models.base import EpochCallback
from movierec.gnn.serving.topk import DEFAULT_CHUNK_SIZE, DEFAULT_K
from movierec.gnn.serving.writeback import DEFAULT_BATCH_SIZE, WritebackResult, write_back
from movierec.gnn.training.config import TrainConfig
from movierec.gnn.training.run import train_run
from movierec.gnn.training.run_dir import DEFAULT_RUNS_DIR, TrainedRun
from movierec.ingest.load import IngestSummary, ingest_release

STEPS = ("ingest", "export and train", "write back")


@dataclass
class PipelineResult:
    """What each step of :func:`run_pipeline` produced."""

    ingest: IngestSummary
    run: TrainedRun
    writeback: WritebackResult


def run_pipeline(
    graph: Graph,
    release: Path,
    config: TrainConfig,
    runs_dir: Path = DEFAULT_RUNS_DIR,
    k: int = DEFAULT_K,
    batch_size: int = DEFAULT_BATCH_SIZE,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    progress: ProgressFactory | None = None,
    on_epoch: EpochCallback | None = None,
    on_step: Callable[[int, str], Any] | None = None,
) -> PipelineResult:
    """Ingest ``release``, train ``config.model`` on the exported graph and make it the active run.

    Args:
        graph (Graph): The database.
        release (Path): A MovieLens release directory or ``.zip``.
        config (TrainConfig): Model and split (``config.split``).
        runs_dir (Path): Parent of the run directory. (default: ``runs``)
        k (int): Recommendations written per user. (default: ``20``)
        batch_size (int): Users per writeback transaction. (default: ``200``)
        chunk_size (int): Users scored at once in the writeback. (default: ``1024``)
        progress (ProgressFactory, optional): Progress bars of ingest, export and writeback phases.
        on_epoch (EpochCallback, optional): Called after every training epoch.
        on_step (Callable[[int, str], Any], optional): Called with ``(i, name)`` as step ``i`` of
            :data:`STEPS` starts.

    Returns:
        PipelineResult: The ingest summary, the trained run and the writeback result.

    Raises:
        IngestError, ExportError, TrainError, WritebackError: From the failing step; every step leaves
            the graph consistent (see each stage), and rerunning the pipeline completes it.
    """

    def step(i: int) -> None:
        if on_step is not None:
            on_step(i, STEPS[i])

    step(0)
    summary = ingest_release(graph, release, progress=progress)
    step(1)
    bar = progress("export", 0) if progress is not None else None
    seen = [0]

    def on_edges(n: int) -> None:
        if bar is not None:
            bar.update(n - seen[0])
        seen[0] = n

    try:
        data, stats = export_graph(graph, on_edges=on_edges)
    finally:
        if bar is not None:
            bar.close()
    split = split_edges(data, config.split)
    run = train_run(data, split, config, runs_dir=runs_dir, export_stats=stats, progress=on_epoch)
    step(2)
    result = write_back(graph, run, k=k, batch_size=batch_size, chunk_size=chunk_size, progress=progress)
    return PipelineResult(ingest=summary, run=run, writeback=result)
