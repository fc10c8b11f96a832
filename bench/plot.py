"""PNG plots of throughput against size, one per stage, from the harness's result JSON files.

Each line is one variant (movierec's and its peers'), x = ratings in the dataset (log
scale), y = the stage's throughput figure: ratings/s (ingest), edges/s (export, train),
rows/s (writeback), queries/s at 16 clients (query).
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from bench.report import StageResult, from_json  # noqa: E402

logger = logging.getLogger(__name__)

THROUGHPUT = {"ingest": "ratings/s", "export": "edges/s", "train": "edges/s", "writeback": "rows/s",
              "query": "queries/s"}


def plot_files(files: list[Path], out_dir: Path) -> list[Path]:
    """Write ``bench_<stage>.png`` for every stage found in ``files``; newest result per (stage, size) wins.

    Returns:
        list[Path]: The PNG files written.
    """
    latest: dict[tuple[str, int], tuple[str, StageResult]] = {}
    for path in files:
        data = json.loads(path.read_text())
        for stage in from_json(data):
            key = (stage.stage, stage.ratings)
            stamp = str(data.get("started", ""))
            if key not in latest or stamp >= latest[key][0]:
                latest[key] = (stamp, stage)
    series: dict[str, dict[str, list[tuple[int, float]]]] = defaultdict(lambda: defaultdict(list))
    for (stage_name, ratings), (_, stage) in sorted(latest.items()):
        figure = THROUGHPUT.get(stage_name)
        for row in stage.rows:
            if stage_name == "query" and not row.name.endswith(", 16 clients"):
                continue
            value = row.figures.get(figure) if figure else None
            if value:
                series[stage_name][row.name.replace(", 16 clients", "")].append((ratings, float(value)))
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for stage_name, lines in series.items():
        fig, ax = plt.subplots(figsize=(7, 4.2), dpi=100)
        for name, points in sorted(lines.items()):
            points.sort()
            ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=name)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("ratings in the dataset")
        label = THROUGHPUT[stage_name] + (" at 16 clients" if stage_name == "query" else "")
        ax.set_ylabel(label)
        ax.set_title(f"{stage_name}: throughput against size (2-core machine)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
        fig.tight_layout()
        path = out_dir / f"bench_{stage_name}.png"
        fig.savefig(path)
        plt.close(fig)
        written.append(path)
    return written
