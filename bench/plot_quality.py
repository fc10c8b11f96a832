"""Recall@10 and NDCG@10 of every row of ``movierec evaluate --metrics-out`` files, as one bar chart per file.

``python -m bench.plot_quality eval-random.json eval-temporal.json --out docs/quality.png``
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--titles", help="One title per file, separated by |. [default: the file names]")
    args = parser.parse_args()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    titles = args.titles.split("|") if args.titles else [f.stem for f in args.files]
    fig, axes = plt.subplots(1, len(args.files), figsize=(6.5 * len(args.files), 4.5), squeeze=False)
    for ax, path, title in zip(axes[0], args.files, titles, strict=True):
        report = json.loads(path.read_text(encoding="utf-8"))
        k = report["k"]
        rows = {report["model_name"]: report["model"], **report["baselines"]}
        rows = {name: m for name, m in rows.items() if m.get(f"ndcg@{k}") is not None}
        names = sorted(rows, key=lambda n: rows[n][f"ndcg@{k}"])
        y = range(len(names))
        ax.barh([i + 0.2 for i in y], [rows[n][f"recall@{k}"] for n in names], height=0.4, label=f"Recall@{k}")
        ax.barh([i - 0.2 for i in y], [rows[n][f"ndcg@{k}"] for n in names], height=0.4, label=f"NDCG@{k}")
        ax.set_yticks(list(y), [f"{n} (model)" if n == report["model_name"] else n for n in names])
        ax.set_title(title)
        ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(args.out, dpi=100)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
