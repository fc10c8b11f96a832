"""What every stage gets: the dataset, the server options, and the graph later stages reuse."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import cypher as bench_cypher
from bench.datasets import Dataset
from bench.server import BenchServer, ServerOptions, bench_root

logger = logging.getLogger(__name__)


@dataclass
class Context:
    """One harness run.

    Args:
        dataset (Dataset): The release measured.
        server (ServerOptions): How Neo4j runs.
        batch_size (int): Rows per transaction for movierec's writes and the LOAD CSV peer. (default: ``10000``)
        duration (float): Seconds per query-load measurement. (default: ``5``)
        epochs (int): Epochs per training measurement. (default: ``2``)
        other_python (str, optional): A second interpreter the export stage also runs in (e.g. one
            whose driver lacks ``neo4j-rust-ext``).
        fetch_sizes (tuple[int, ...]): Driver fetch sizes the export stage tries. (default: ``(10000,)``)
        peers (tuple[str, ...]): Ingest peers to run: ``admin``, ``loadcsv``, ``bare``. (default: all three)
        time_limit (float, optional): Seconds movierec's ingest may take before it is stopped and
            reported as unfinished, with its progress. (default: none)
    """

    dataset: Dataset
    server: ServerOptions
    batch_size: int = 10_000
    duration: float = 5.0
    epochs: int = 2
    other_python: str | None = None
    fetch_sizes: tuple[int, ...] = (10_000,)
    peers: tuple[str, ...] = ("admin", "loadcsv", "bare")
    time_limit: float | None = None
    state: dict[str, Any] = field(default_factory=dict)

    def work_dir(self, name: str) -> Path:
        path = bench_root() / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def graph_server(self) -> BenchServer:
        """The server holding movierec's graph of this dataset (later stages read it)."""
        return BenchServer(self.server, "graph")

    def _marker(self) -> Path:
        return bench_root() / "graph" / "loaded.json"

    def mark_loaded(self, extra: dict[str, Any] | None = None) -> None:
        self._marker().parent.mkdir(parents=True, exist_ok=True)
        self._marker().write_text(json.dumps({"dataset": self.dataset.name, "ratings": self.dataset.ratings,
                                              "path": str(self.dataset.path), **(extra or {})}))

    def loaded(self) -> dict[str, Any]:
        """What the graph server holds, per its marker (``{}`` when unknown)."""
        try:
            data: dict[str, Any] = json.loads(self._marker().read_text())
        except (OSError, ValueError):
            return {}
        return data

    def ensure_graph(self) -> BenchServer:
        """A running server holding this dataset as movierec ingests it (ingesting it if needed)."""
        server = self.graph_server()
        if server.external:
            with server.connect() as graph:
                rated = graph.read(bench_cypher.load("count_ratings"))[0]["n"]
            if rated == self.dataset.ratings:
                return server
        else:
            loaded = self.loaded()
            if loaded.get("dataset") == self.dataset.name and loaded.get("ratings") == self.dataset.ratings:
                server.ensure_running()
                return server
        from movierec.ingest.load import ingest_release

        logger.info("loading %s into the benchmark graph", self.dataset.name)
        server.start_fresh()
        started = time.perf_counter()
        with server.connect() as graph:
            ingest_release(graph, self.dataset.path, batch_size=self.batch_size)
        self.mark_loaded({"seconds": time.perf_counter() - started})
        return server
