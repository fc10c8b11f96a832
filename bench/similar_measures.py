"""Which similarity should fill ``SIMILAR``: ``python -m bench.similar_measures [RELEASE] [--json OUT]``.

RELEASE is a MovieLens directory (default ``$MOVIELENS_DIR/ml-latest-small``), read without Neo4j by ingest's
reader and the exporter's ``build_heterodata`` (``bench/graph_file.py``). Each measure scores every pair of
movies; three signals judge it, the first two on every rating (what ``SIMILAR`` is computed from), the third on
the temporal split:

1. **Franchises** (``tests/franchises.py``, 53 series): the rank of the first franchise mate in the film's list;
   the share of films whose first neighbour is a mate (``first``) and with a mate in the top 10 (``top10``).
   ``spread``: the mean score of the 10th neighbour over the 1st (1.0: the top 10 are all alike).
2. **Genre agreement**: for the 500 most rated movies, the share of their 10 neighbours sharing a genre with them.
3. **Next movie** (does not depend on franchises or genres): the measure computed on the temporal split's
   training edges; for each user with test edges, the 10 neighbours of the last movie they rated in training
   (their rated movies excluded); a hit when the first movie they rate after it is among them (HR@10).

Measures over the co-rating counts ``n_ij`` (users who rated both), ``n_i`` (raters of ``i``), ``U`` users:

- ``cosine`` ``n_ij / sqrt(n_i n_j)`` (the previous ``SIMILAR``); ``asymmetric α`` ``n_ij / (n_i^α n_j^(1-α))``
  (Aiolli 2013: a small α favours neighbours with few raters); ``shrunk λ`` cosine × ``n_ij / (n_ij + λ)``;
  ``asymmetric shrunk`` both; ``lift`` ``log(n_ij U / (n_i n_j))`` where ``n_ij ≥ 5``; ``conditional λ``
  ``n_ij / (n_j + λ)``, the share of ``j``'s raters who rated ``i``, also with heavy raters weighted down;
  ``conditional × genres γ``: times ``(1 + γ J_ij) / (1 + γ)``, ``J_ij`` the Jaccard overlap of the two movies'
  genres (``SIMILAR``'s measure: λ = 10, γ = 0.2); ``genres alone``: the Jaccard overlap, ties broken by the most
  rated (the content peer). Genre agreement (2.) rewards that factor by construction; the
  next movie (3.) does not see genres;
- ``adjusted cosine``: the cosine of the user-mean-centred ratings;
- ``ease``: EASE's weight ``B[j, i]`` of movie ``j`` towards ``i``, as ``movierec train --model ease`` fits it;
- ``gcmc`` / ``lightgcn``: the cosine of the trained movie embeddings (gcmc's centred, the default run's).

``halves``: first / top10 on the even- and odd-numbered series of the list apart, so that a parameter chosen on one
half is read on the other. Seed 0, CPU. The README's table of measures comes from this output.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from torch import Tensor

from bench.graph_file import release_graph
from movierec.gnn.data.hetero import MOVIE, RATES, USER, movie_genres
from movierec.gnn.data.split import SplitConfig, split_edges
from movierec.gnn.models.registry import config_for
from movierec.gnn.models.scorers import ItemItemScorer
from movierec.gnn.serving.similar import genre_factor, similar_movies
from movierec.gnn.training.train import train

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.franchises import FRANCHISES  # noqa: E402  (the tests' list, not a copy)

TOP = 100  # neighbours kept per movie for the franchise ranks

Measure = Callable[[Tensor, Tensor, Tensor, int], Tensor]  # (binary R, centred ratings, n, U) -> [M, M]
GENRES: list[Tensor] = []  # [M, G] the release's genre one-hots, set by main() for the genre measures


def _co(r: Tensor) -> Tensor:
    return r.T @ r


def cosine(r: Tensor, *rest: Any) -> Tensor:
    return asymmetric(0.5)(r, *rest)


def asymmetric(alpha: float, shrink: float = 0.0) -> Measure:
    def measure(r: Tensor, *_: Any) -> Tensor:
        co = _co(r)
        n = co.diagonal().clone().clamp(min=1)
        s = co / (n.unsqueeze(1) ** alpha * n.unsqueeze(0) ** (1 - alpha))
        return s * co / (co + shrink) if shrink else s
    return measure


def conditional(smoothing: float, weighted: bool = False) -> Measure:
    """``n_ij / (n_j + λ)``: the share of ``j``'s raters who also rated ``i`` (``SIMILAR``'s measure). ``weighted``:
    each user counts ``1 / log2(2 + their ratings)`` (normalised to a mean of 1 over the ratings), so that heavy raters,
    who co-rate everything, count less."""
    def measure(r: Tensor, *_: Any) -> Tensor:
        w = torch.ones(r.size(0))
        if weighted:
            w = 1 / torch.log2(2 + r.sum(1))
            w = w * r.sum() / (w[:, None] * r).sum()
        co = (r * w[:, None]).T @ r
        return co / (co.diagonal().unsqueeze(0) + smoothing)
    return measure


def with_genres(smoothing: float, weight: float) -> Measure:
    """``n_ij / (n_j + λ) · (1 + γ J_ij) / (1 + γ)``: the conditional times the genres' Jaccard overlap."""
    def measure(r: Tensor, *rest: Any) -> Tensor:
        genres = GENRES[0]
        counts = genres.sum(1)
        return conditional(smoothing)(r, *rest) * genre_factor(genres, counts, genres, counts, weight)
    return measure


def genres_alone(r: Tensor, *_: Any) -> Tensor:
    """The genres' Jaccard overlap, ties broken by the neighbour's raters: the content peer."""
    genres = GENRES[0]
    counts = genres.sum(1)
    n = r.sum(0)
    return genre_factor(genres, counts, genres, counts, 1.0) + (n / (n.max() + 1)).unsqueeze(0) * 1e-3


def lift(r: Tensor, *_: Any) -> Tensor:
    co = _co(r)
    n = co.diagonal().clone().clamp(min=1)
    s = torch.log(co * r.size(0) / (n.unsqueeze(1) * n.unsqueeze(0)) + 1e-12)
    return s.masked_fill(co < 5, -math.inf)


def adjusted(_: Tensor, centred: Tensor, *__: Any) -> Tensor:
    x = centred / centred.norm(dim=0).clamp(min=1e-9)
    return x.T @ x


def neighbours(sim: Tensor, top: int = TOP) -> tuple[Tensor, Tensor]:
    """Each movie's ``top`` best other movies (indices, scores), never itself; unscored pairs are ``-inf``."""
    sim = sim.clone()
    sim.fill_diagonal_(-math.inf)
    sim[torch.isnan(sim)] = -math.inf
    best = torch.topk(sim, top, dim=1)
    return best.indices, best.values


def franchise_signal(idx: Tensor, val: Tensor, index_of: dict[int, int]) -> dict[str, Any]:
    """Ranks past ``idx``'s width (or the padding, ``-1``) count as ``TOP + 1``."""
    ranks = []
    spread = []
    for movie, mates in FRANCHISES.items():
        row = idx[index_of[movie]].tolist()
        mate_rows = {index_of[m] for m in mates if m in index_of}
        rank = next((i + 1 for i, j in enumerate(row) if j in mate_rows), TOP + 1)
        ranks.append(rank)
        s = val[index_of[movie]]
        if math.isfinite(float(s[9])) and float(s[0]) > 0:
            spread.append(float(s[9] / s[0]))
    n = len(ranks)
    halves = [[sum(r == 1 for r in half), sum(r <= 10 for r in half), len(half)] for half in (ranks[0::2], ranks[1::2])]
    return {"first": sum(r == 1 for r in ranks) / n, "top10": sum(r <= 10 for r in ranks) / n, "halves": halves,
            "median_rank": sorted(ranks)[n // 2], "spread": sum(spread) / max(len(spread), 1), "ranks": ranks}


def genre_signal(idx: Tensor, genres: list[set[str]], counts: Tensor) -> float:
    top = torch.argsort(counts, descending=True)[:500].tolist()
    agree = [sum(bool(genres[i] & genres[j]) for j in idx[i, :10].tolist()) / 10 for i in top]
    return sum(agree) / len(agree)


def next_item_signal(idx: Tensor, edge_index: Tensor, times: Tensor, split: Any) -> float:
    train, test = split.train, split.test
    tu, tm, tt = edge_index[0, train], edge_index[1, train], times[train]
    last: dict[int, tuple[int, int]] = {}
    for u, m, t in zip(tu.tolist(), tm.tolist(), tt.tolist(), strict=True):
        if u not in last or t >= last[u][0]:
            last[u] = (t, m)
    rated: dict[int, set[int]] = {}
    for u, m in zip(tu.tolist(), tm.tolist(), strict=True):
        rated.setdefault(u, set()).add(m)
    first: dict[int, tuple[int, int]] = {}
    for u, m, t in zip(edge_index[0, test].tolist(), edge_index[1, test].tolist(), times[test].tolist(),
                       strict=True):
        if u not in first or t < first[u][0]:
            first[u] = (t, m)
    hits = []
    for u, (_, target) in first.items():
        if u not in last:
            continue
        listed = [j for j in idx[last[u][1]].tolist() if j not in rated[u]][:10]
        hits.append(target in listed)
    return sum(hits) / max(len(hits), 1)


def matrices(edge_index: Tensor, rating: Tensor, users: int, movies: int) -> tuple[Tensor, Tensor]:
    r = torch.zeros(users, movies)
    r[edge_index[0], edge_index[1]] = 1.0
    values = torch.zeros(users, movies)
    values[edge_index[0], edge_index[1]] = rating.float()
    mean = values.sum(1) / r.sum(1).clamp(min=1)
    return r, (values - mean.unsqueeze(1)) * r


def model_measures(data: Any, split: Any) -> dict[str, Tensor]:
    """Similarity from the trained models (fitted on ``split``'s training edges)."""
    out: dict[str, Tensor] = {}
    ease = train(data, split, config_for("ease", device="cpu"))
    scorer = ease.rank
    assert isinstance(scorer, ItemItemScorer)
    b = torch.full((data[MOVIE].num_nodes, data[MOVIE].num_nodes), -math.inf)
    items = scorer.items.long()
    b[items.unsqueeze(1), items.unsqueeze(0)] = scorer.weight.T  # row i: B[:, i], what predicts i
    out["ease"] = b
    counts = torch.bincount(data[RATES].edge_index[1, split.train], minlength=data[MOVIE].num_nodes)
    for name in ("gcmc", "lightgcn"):
        emb = train(data, split, config_for(name, device="cpu")).embeddings()[1].float()
        if name == "gcmc":
            emb = emb - emb[counts > 0].mean(0)
        emb = emb / emb.norm(dim=1, keepdim=True).clamp(min=1e-9)
        out[name] = emb @ emb.T
    return out


MEASURES: dict[str, Measure] = {
    "cosine": cosine,
    "asymmetric α=0.1": asymmetric(0.1), "asymmetric α=0.2": asymmetric(0.2), "asymmetric α=0.3": asymmetric(0.3),
    "shrunk λ=10": asymmetric(0.5, 10.0), "shrunk λ=25": asymmetric(0.5, 25.0),
    "asymmetric α=0.2 shrunk λ=10": asymmetric(0.2, 10.0),
    "lift (n_ij ≥ 5)": lift,
    "adjusted cosine": adjusted,
    "conditional λ=5": conditional(5.0), "conditional λ=10": conditional(10.0),
    "conditional λ=20": conditional(20.0), "conditional λ=10, heavy raters weighted down": conditional(10.0, True),
    "genres alone (Jaccard; ties: the most rated)": genres_alone,
    **{f"conditional λ=10 × genres γ={w}{' (SIMILAR)' if w == 0.2 else ''}": with_genres(10.0, w)
       for w in (0.1, 0.2, 0.3, 0.5)},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(os.environ.get("MOVIELENS_DIR", "../shared/datasets")) / "ml-latest-small"
    parser.add_argument("release", type=Path, nargs="?", default=default)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--no-models", action="store_true", help="skip EASE and the GNN embeddings (fast)")
    args = parser.parse_args()
    data = release_graph(args.release)
    users, movies = data[USER].num_nodes, data[MOVIE].num_nodes
    ei, rating, times = data[RATES].edge_index, data[RATES].edge_label, data[RATES].time
    index_of = {int(m): i for i, m in enumerate(data[MOVIE].node_id.tolist())}
    genre_of = pd.read_csv(args.release / "movies.csv").set_index("movieId")["genres"]
    genres = [set(str(genre_of[m]).split("|")) - {"(no genres listed)"} for m in data[MOVIE].node_id.tolist()]
    onehots = movie_genres(data)
    GENRES[:] = [onehots if onehots is not None else torch.zeros(movies, 0)]
    counts = torch.bincount(ei[1], minlength=movies)
    temporal = split_edges(data, SplitConfig(method="temporal", seed=0))
    t_ei = ei[:, temporal.train]
    everything = matrices(ei, rating, users, movies)
    trained = matrices(t_ei, rating[temporal.train], users, movies)
    rows: dict[str, dict[str, Any]] = {}

    def report(name: str, full: Tensor | tuple[Tensor, Tensor], on_train: Tensor, seconds: float) -> None:
        idx, val = neighbours(full) if isinstance(full, Tensor) else full
        row = franchise_signal(idx, val, index_of)
        row["genre@10"] = genre_signal(idx, genres, counts)
        row["next@10"] = next_item_signal(on_train if on_train.dtype == torch.long else neighbours(on_train, 200)[0],
                                          ei, times, temporal)
        row["seconds"] = round(seconds, 1)
        row["toy_story"] = [str(data[MOVIE].title[j]) for j in idx[index_of[1], :5].tolist()]
        rows[name] = row
        halves = " ".join(f"{a}/{b}/{n}" for a, b, n in row["halves"])
        print(f"{name:30s} first {row['first']:.0%}  top10 {row['top10']:.0%}  median rank {row['median_rank']:3d}  "
              f"spread {row['spread']:.2f}  genre@10 {row['genre@10']:.3f}  next@10 {row['next@10']:.4f}  "
              f"halves {halves}  "
              f"| Toy Story: {', '.join(row['toy_story'][:3])}", flush=True)

    for name, measure in MEASURES.items():
        start = time.perf_counter()
        full = measure(everything[0], everything[1], counts, users)
        report(name, full, measure(trained[0], trained[1], counts, users), time.perf_counter() - start)
    # the product's own sparse, chunked computation (gnn/serving/similar.py), which the run directory saves
    start = time.perf_counter()
    product = similar_movies(ei, users, movies, k=TOP, genres=onehots)
    seconds = time.perf_counter() - start
    report("SIMILAR (gnn/serving/similar.py)", product, similar_movies(t_ei, users, movies, k=200, genres=onehots)[0],
           seconds)
    if not args.no_models:
        random = split_edges(data, SplitConfig(method="random", seed=0))
        start = time.perf_counter()
        full_models = model_measures(data, random)
        on_train = model_measures(data, temporal)
        seconds = time.perf_counter() - start
        for name in full_models:
            report(name, full_models[name], on_train[name], seconds)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
