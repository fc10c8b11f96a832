"""Fold-in quality on a real release: ``python -m bench.foldin [RELEASE] [--model M] [--ratings] [--json OUT]``.

New users scored from their first n ratings by the trained default ranker, without retraining, against a
full retrain with those ratings and against popularity (:mod:`movierec.gnn.evaluation.foldin_eval` has the protocol).
With ``--ratings``: the RMSE of their predicted ratings instead (n = 1, 5, 20), fold-in against the bias baseline's
fold-in and a retrain (``--model gcmc``).
No Neo4j: the release is read into the exporter's graph (:func:`bench.graph_file.release_graph`).
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

from bench.graph_file import release_graph
from movierec.core.text import format_table
from movierec.gnn.evaluation.foldin_eval import DEFAULT_NS, RATING_NS, fold_in_quality, fold_in_rating_quality
from movierec.gnn.models.registry import config_for


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("release", nargs="?", default="../shared/datasets/ml-latest-small", type=Path)
    parser.add_argument("--model", default="ease", help="The ranker folded in. [default: ease]")
    parser.add_argument("--ratings", action="store_true", help="Measure predicted ratings (RMSE), not rankings.")
    parser.add_argument("--json", type=Path, help="Also write the rows here.")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    started = time.perf_counter()
    if args.ratings:
        result = fold_in_rating_quality(release_graph(args.release), config_for(args.model, device="cpu"), RATING_NS)
        columns = ["n", "users", "targets", "fold_in_rmse", "bias_fold_in_rmse", "retrain_rmse"]
        print(format_table(columns, [[row[c] for c in columns] for row in result["rows"]], digits=4))
        print(f"{args.model} on {args.release}, {time.perf_counter() - started:.0f} s")
        if args.json:
            args.json.write_text(json.dumps({"release": str(args.release), **result}, indent=2) + "\n",
                                 encoding="utf-8")
        return
    result = fold_in_quality(release_graph(args.release), config_for(args.model, device="cpu"),
                             DEFAULT_NS)
    rows = result["rows"]
    for metric in ("recall@10", "ndcg@10"):
        columns = ["n", "users"] + [f"{name}_{metric}" for name in ("fold_in", "retrain", "fold_in_no_prior",
                                                                   "popularity", "ratio")]
        print(format_table(columns, [[row[c] for c in columns] for row in rows], digits=4), end="\n\n")
    print(f"prior weight {result['prior_weight']} (validation NDCG@10 per weight: {result['validation']}); "
          f"{args.model} on {args.release}, {time.perf_counter() - started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps({"model": args.model, "release": str(args.release), **result}, indent=2,
                                        default=str) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
