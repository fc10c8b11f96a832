"""The default ranker's ablation on real data: ``python -m bench.ablation [RELEASE] [--splits random,temporal]``.

``--sweep`` prints instead the validation NDCG@10 of the default ranker for each λ scale, the evidence
behind its default scale.

Every row is fitted on the same training edges and measured on the same test edges as ``movierec evaluate``
(the project's split and :func:`~movierec.gnn.evaluation.metrics.ranking_metrics`), with its settings chosen on the
validation edges. Rows:

- ``ease``: the default ranker (EASE on the rating-weighted graph, λ on validation, 1,000 entries per column);
- ``ease unpruned``: the same without pruning ``B``;
- ``ease binary``: the same on the binary graph (the EASE peer's input; the peer is unpruned, with a wider λ grid);
- ``gfcf``: the graph filter alone (the GNN ranker);
- ``ease + gfcf``: ``w·z(ease) + (1-w)·z(gfcf)`` with per-user z-scores, ``w`` chosen on validation: whether
  the graph ranker adds anything on top of the item-item model.

The release is read with ingest's reader and assembled by the exporter (no Neo4j needed).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import torch

from bench.graph_file import release_graph
from movierec.gnn.data.hetero import MOVIE, RATES, USER
from movierec.gnn.data.split import SplitConfig, split_edges
from movierec.gnn.evaluation.metrics import ranking_metrics
from movierec.gnn.models.registry import config_for
from movierec.gnn.training.train import train

WEIGHTS = (0.0, 0.25, 0.5, 0.75, 0.9, 1.0)
SCALES = (4.0, 8.0, 12.0, 16.0, 24.0, 32.0)


def _zscore(scores: torch.Tensor) -> torch.Tensor:
    finite = torch.isfinite(scores)
    x = torch.where(finite, scores, torch.zeros_like(scores))
    n = finite.sum(1, keepdim=True).clamp(min=1)
    mean = x.sum(1, keepdim=True) / n
    std = (torch.where(finite, (x - mean) ** 2, torch.zeros_like(x)).sum(1, keepdim=True) / n).sqrt()
    return torch.where(finite, (x - mean) / std.clamp(min=1e-12), torch.full_like(x, -1e9))


class _Blend:
    """``w·a + (1-w)·b`` of two per-user standardised score matrices, as a scoring function."""

    def __init__(self, a: torch.Tensor, b: torch.Tensor) -> None:
        self.a, self.b = a, b

    def at(self, w: float) -> Any:
        return lambda users: w * self.a[users] + (1 - w) * self.b[users]


def sweep(release: Path, splits: list[str], scales: tuple[float, ...] = SCALES) -> dict[str, Any]:
    """The default ranker's validation NDCG@10 and Recall@10 for each λ scale (test edges untouched)."""
    data = release_graph(release)
    out: dict[str, Any] = {}
    for method in splits:
        split = split_edges(data, SplitConfig(method=method, seed=0))  # type: ignore[arg-type]
        result = train(data, split, config_for("ease", device="cpu", lambda_scales=scales))
        out[method] = [{"scale": scale, "lambda": row["loss"], "val_ndcg@10": row["val_ndcg@10"],
                        "val_recall@10": row["val_recall@10"]} for scale, row in zip(scales, result.history,
                                                                                      strict=True)]
        for row in out[method]:
            print(method, row, flush=True)
    return out


def run(release: Path, splits: list[str]) -> dict[str, Any]:
    data = release_graph(release)
    ei, rating = data[RATES].edge_index, data[RATES].edge_label
    num_movies = data[MOVIE].num_nodes
    out: dict[str, Any] = {}
    for method in splits:
        split = split_edges(data, SplitConfig(method=method, seed=0))  # type: ignore[arg-type]

        def measure(score: Any, edges: torch.Tensor, split: Any = split) -> dict[str, float]:
            m = ranking_metrics(score, ei[:, split.train], ei[:, edges], rating[edges], num_movies)
            return {"recall@10": m["recall@10"], "ndcg@10": m["ndcg@10"]}

        rows: dict[str, dict[str, Any]] = {}
        fitted = {}
        for name, overrides in (("ease", {}), ("ease unpruned", {"keep": 0}),
                                ("ease binary", {"weighting": "binary"}), ("gfcf", {})):
            model = "gfcf" if name == "gfcf" else "ease"
            started = time.perf_counter()
            result = train(data, split, config_for(model, device="cpu", **overrides))
            fitted[name] = result.rank
            rows[name] = {**measure(result.rank.scores, split.test), "seconds": time.perf_counter() - started,
                          "lambda": result.extra.get("ease_lambda")}
            print(method, name, rows[name], flush=True)
        users = torch.arange(data[USER].num_nodes)
        blend = _Blend(_zscore(fitted["ease"].scores(users)), _zscore(fitted["gfcf"].scores(users)))
        best = max(WEIGHTS, key=lambda w: measure(blend.at(w), split.val)["ndcg@10"])
        rows["ease + gfcf"] = {**measure(blend.at(best), split.test), "weight": best}
        print(method, "ease + gfcf", rows["ease + gfcf"], flush=True)
        out[method] = rows
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("release", nargs="?", default="../shared/datasets/ml-latest-small", type=Path)
    parser.add_argument("--splits", default="random,temporal")
    parser.add_argument("--json", type=Path, help="Also write the rows here.")
    parser.add_argument("--sweep", action="store_true", help="Only the validation NDCG@10 of EASE per λ scale.")
    args = parser.parse_args()
    result = sweep(args.release, args.splits.split(",")) if args.sweep else run(args.release, args.splits.split(","))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
