"""Catalogue coverage of trained runs: ``python -m bench.coverage RUN_DIR... [--k 20] [--json OUT]``.

For each run directory (``movierec train``), what its writeback would put in ``RECOMMENDED``: every user's top
``k`` movies by the run's ranker, every movie the user rated (training, validation and test edges, as the graph
holds them) excluded, the same ``top_k`` the writeback runs. Reported:

- ``distinct``: the distinct movies in those lists, and their share of the catalogue (``coverage``);
- ``recommendable``: the movies with at least one training rating that the ranker scores at all (``ease`` ranks
  its most rated movies only), and their share of the movies with ratings.

Runs are measured one after another in one process, on the same machine, so the rows compare (the 25M runs of
BENCHMARKS.md: ``python -m bench.coverage /tmp/t25/runs/*-combined /tmp/t25/runs/*-ease``).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import torch

from movierec.gnn.serving.topk import top_k
from movierec.gnn.training.run_dir import load_run


def coverage(path: Path, k: int = 20) -> dict[str, Any]:
    """One run's catalogue coverage (see the module docstring)."""
    start = time.perf_counter()
    run = load_run(path)
    edge_index, _, split = run.split()
    users, movies = len(run.user_ids), len(run.movie_ids)
    order = torch.argsort(edge_index[0], stable=True)
    rated = (edge_index[0, order], edge_index[1, order])
    seen = torch.zeros(movies, dtype=torch.bool)
    for chunk in top_k(run, rated, k):
        picked = chunk.movies[torch.isfinite(chunk.scores)]
        seen[picked] = True
    with_ratings = torch.bincount(edge_index[1, split.train], minlength=movies) > 0
    ranked = run.ranked_movies()
    scored = torch.ones(movies, dtype=torch.bool) if ranked is None else torch.zeros(movies, dtype=torch.bool)
    if ranked is not None:
        scored[ranked] = True
    distinct, recommendable = int(seen.sum()), int((scored & with_ratings).sum())
    return {"run": run.run_id, "model": run.model, "users": users, "movies": movies, "k": k,
            "distinct": distinct, "coverage": distinct / movies,
            "movies_with_ratings": int(with_ratings.sum()), "recommendable": recommendable,
            "recommendable_share": recommendable / max(int(with_ratings.sum()), 1),
            "seconds": round(time.perf_counter() - start, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", type=Path, nargs="+")
    parser.add_argument("--k", type=int, default=20)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    rows = []
    for path in args.runs:
        row = coverage(path, args.k)
        rows.append(row)
        print(f"{row['model']}: {row['distinct']:,} distinct movies in the top {row['k']} of {row['users']:,} "
              f"users = {row['coverage']:.1%} of {row['movies']:,}; recommendable {row['recommendable']:,} of "
              f"{row['movies_with_ratings']:,} movies with ratings ({row['recommendable_share']:.1%}); "
              f"{row['seconds']} s", flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
