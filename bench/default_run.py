"""The default run's parts, measured: ``python -m bench.default_run GRAPH.pt [--json OUT]``.

GRAPH.pt is ml-latest-small as exported from Neo4j (``movierec export --out GRAPH.pt``), as for
``scripts/quality.sh``. Seed 0, CPU, the project's splits; every choice on the validation edges, test once.

1. **The ranker blend**: ``w·z(lightgcn) + (1−w)·z(ease)`` with per-user z-scores, ``w`` chosen on validation
   NDCG@10 over a grid, against each alone, on both splits (README: "The default run, part by part").
2. **The embeddings**: for the first film of the 12 franchises of ``tests/franchises.py`` (``FAMOUS``), whether a
   franchise mate is in its 10 nearest movies (cosine) and first; the share of the 500 most rated movies whose top
   10 share a genre with them; Toy Story's first neighbour. For ``ease`` (truncated SVD), ``lightgcn`` (raw and
   centred) and ``gcmc`` (raw ``q_m`` and centred, the default's).
3. **Catalogue coverage**: the distinct movies in every user's top 20 (rated training movies excluded), and how
   many movies can be recommended at all (a finite score), for ``ease`` and ``lightgcn``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from movierec.gnn.data.export import load_heterodata
from movierec.gnn.data.hetero import MOVIE, RATES, USER
from movierec.gnn.data.split import SplitConfig, split_edges
from movierec.gnn.evaluation.metrics import ranking_metrics
from movierec.gnn.models.base import TrainResult
from movierec.gnn.models.registry import config_for
from movierec.gnn.training.train import train

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.franchises import FAMOUS as FRANCHISES  # noqa: E402  (the tests' list, not a copy)

GRID = (0.0, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


def z(scores: Tensor) -> Tensor:
    """Per-row z-scores; a movie the model cannot score (-inf) gets the row's lowest finite score."""
    finite = torch.isfinite(scores)
    low = torch.where(finite, scores, torch.full_like(scores, float("inf"))).min(1, keepdim=True).values
    scores = torch.where(finite, scores, low)
    return (scores - scores.mean(1, keepdim=True)) / scores.std(1, keepdim=True).clamp(min=1e-9)


def blend(data: Any, method: str) -> dict[str, Any]:
    split = split_edges(data, SplitConfig(method=method, seed=0))  # type: ignore[arg-type]
    ei, r, m = data[RATES].edge_index, data[RATES].edge_label, data[MOVIE].num_nodes
    lg = train(data, split, config_for("lightgcn", device="cpu"))
    ea = train(data, split, config_for("ease", device="cpu"))

    def scorer(w: float) -> Any:
        return lambda users: w * z(lg.rank.scores(users)) + (1 - w) * z(ea.rank.scores(users))

    def measure(w: float, edges: Tensor) -> dict[str, float]:
        return ranking_metrics(scorer(w), ei[:, split.train], ei[:, edges], r[edges], m, k=10)

    validation = {w: measure(w, split.val)["ndcg@10"] for w in GRID}
    best = max(validation, key=lambda w: validation[w])
    test = {w: measure(w, split.test) for w in sorted({0.0, best, 1.0})}
    return {"validation_ndcg@10": validation, "w": best,
            "test": {str(w): {k: v for k, v in t.items() if k != "users"} for w, t in test.items()}}


def franchises(emb: Tensor, data: Any, counts: Tensor) -> dict[str, Any]:
    ids = data[MOVIE].node_id.tolist()
    index = {m: i for i, m in enumerate(ids)}
    titles = data[MOVIE].title
    e = torch.nn.functional.normalize(emb.float(), dim=1)
    hit = first = 0
    for query, mates in FRANCHISES.items():
        i = index[query]
        s = e @ e[i]
        s[i] = -9
        near = [ids[j] for j in s.topk(10).indices.tolist()]
        hit += bool(set(near) & set(mates))
        first += near[0] in mates
    genres = data[MOVIE].x[:, :len(data.genres)] > 0
    top = counts.argsort(descending=True)[:500]
    s = e[top] @ e.T
    s[torch.arange(len(top)), top] = -9
    neighbours = s.topk(10, dim=1).indices
    agree = float((genres[top].unsqueeze(1) & genres[neighbours]).any(-1).float().mean())
    s = e @ e[index[1]]
    s[index[1]] = -9
    return {"mate_in_top10": hit, "mate_first": first, "of": len(FRANCHISES), "genre_agreement@10": agree,
            "toy_story_first": titles[int(s.argmax())]}


def centred(emb: Tensor, counts: Tensor) -> Tensor:
    return emb - emb[counts > 0].mean(0)


def coverage(result: TrainResult, data: Any, train_edges: Tensor, k: int = 20) -> dict[str, int]:
    ei = data[RATES].edge_index[:, train_edges]
    users, movies = data[USER].num_nodes, data[MOVIE].num_nodes
    seen: set[int] = set()
    scorable = torch.zeros(movies, dtype=torch.bool)
    for start in range(0, users, 256):
        rows = torch.arange(start, min(users, start + 256))
        s = result.rank.scores(rows).clone()
        scorable |= torch.isfinite(s).any(0)
        mine = (ei[0] >= start) & (ei[0] < start + 256)
        s[ei[0, mine] - start, ei[1, mine]] = -float("inf")
        seen.update(s.topk(k, dim=1).indices.flatten().tolist())
    return {"distinct_in_top20": len(seen), "recommendable": int(scorable.sum()), "movies": movies}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("graph", type=Path)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    data = load_heterodata(args.graph)
    out: dict[str, Any] = {"blend": {method: blend(data, method) for method in ("random", "temporal")}}
    print(json.dumps(out["blend"], indent=1), flush=True)
    split = split_edges(data, SplitConfig(method="random", seed=0))
    counts = torch.bincount(data[RATES].edge_index[1, split.train], minlength=data[MOVIE].num_nodes)
    fits = {name: train(data, split, config_for(name, device="cpu")) for name in ("ease", "lightgcn", "gcmc")}
    lg, gq = fits["lightgcn"].embeddings()[1], fits["gcmc"].rating.movie
    out["embeddings"] = {"ease (SVD)": franchises(fits["ease"].embeddings()[1], data, counts),
                         "lightgcn": franchises(lg, data, counts),
                         "lightgcn centred": franchises(centred(lg, counts), data, counts),
                         "gcmc q": franchises(gq, data, counts),
                         "gcmc q centred (default)": franchises(centred(gq, counts), data, counts)}
    out["coverage"] = {name: coverage(fits[name], data, split.train) for name in ("ease", "lightgcn")}
    print(json.dumps({k: out[k] for k in ("embeddings", "coverage")}, indent=1))
    if args.json:
        args.json.write_text(json.dumps(out, indent=1, default=str) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
