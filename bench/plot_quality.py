"""Recall@10 and NDCG@10 of every row of ``movierec evaluate --metrics-out`` files, as one bar chart per panel.

``python -m bench.plot_quality eval-random-ease.json,eval-random-lightgcn.json eval-temporal-ease.json,... --out
docs/quality.png``: a panel is one file, or several of the same split joined by commas (each file's model is a
row, the peers come from the first); a model's row is labelled with its training seconds where the file has them.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", help="One panel each: FILE[,FILE...] of the same split.")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--titles", help="One title per file, separated by |. [default: the file names]")
    args = parser.parse_args()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    titles = args.titles.split("|") if args.titles else [Path(f.split(",")[0]).stem for f in args.files]
    fig, axes = plt.subplots(1, len(args.files), figsize=(7 * len(args.files), 5), squeeze=False)
    for ax, panel, title in zip(axes[0], args.files, titles, strict=True):
        reports = [json.loads(Path(f).read_text(encoding="utf-8")) for f in panel.split(",")]
        k = reports[0]["k"]
        labels: dict[str, str] = {}
        rows: dict[str, dict[str, float]] = dict(reports[0]["baselines"])
        for report in reports:
            rows[report["model_name"]] = report["model"]
            seconds = report.get("train_seconds")
            labels[report["model_name"]] = (f"{report['model_name']} (model, {seconds:.0f} s)" if seconds is not None
                                            else f"{report['model_name']} (model)")
        rows = {name: m for name, m in rows.items() if m.get(f"ndcg@{k}") is not None}
        names = sorted(rows, key=lambda n: rows[n][f"ndcg@{k}"])
        y = range(len(names))
        ax.barh([i + 0.2 for i in y], [rows[n][f"recall@{k}"] for n in names], height=0.4, label=f"Recall@{k}")
        ax.barh([i - 0.2 for i in y], [rows[n][f"ndcg@{k}"] for n in names], height=0.4, label=f"NDCG@{k}")
        ax.set_yticks(list(y), [labels.get(n, n) for n in names])
        ax.set_title(title)
        ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(args.out, dpi=100)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
