"""New movies folded in without retraining, measured: ``python -m bench.movie_foldin [RELEASE] [--json OUT]``.

RELEASE is a MovieLens directory (default ``$MOVIELENS_DIR/ml-latest-small``), read without Neo4j. 10 % of the
movies (seed 0) are held out of training entirely; the default run's parts (``lightgcn`` ranks, ``gcmc`` rates)
are trained on the rest. Each held-out movie with at least 25 ratings is then given a place from its content and
its first ``n`` ratings by time (``n`` = 0, 1, 5, 20), three ways:

- **fold-in** (``gnn/serving/movie_foldin.py``): the content prior (its genre neighbours) and its raters, into the
  trained run, no retraining; also with the ranker's prior bias as the neighbours' mean (``fold-in, mean bias``,
  the first version) instead of the most rated neighbour's;
- **retrain**: the same parts trained again with the first ``n`` ratings of every held-out movie added;
- **peer** (popular in genre): the movie takes the vector and bias of the most rated trained movie sharing the
  most of its genres.

Measured on its later ratings (after the first ``n``):

- **rank for its later raters**: each later rater's scores of every movie they have not rated (held-out movies
  other than this one left out): ``HR@100`` (the movie among their 100 best) and the mean share of candidates
  ranked below it (``AUC``);
- **rating RMSE** of those later ratings (fold-in against retrain; the peer takes its film's rating model);
- **SIMILAR**: the overlap of its top 10 with the list all its ratings give (``n_ij / (n_j + 10)`` times the genre
  factor, ``overlap@10``).
  The fold-in lists what ``movierec refresh`` writes: below 20 ratings the movies nearest its folded embedding,
  from 20 its co-ratings; the retrain lists its co-ratings (its content neighbours with no rating). And, a
  person's view that does not reward copying the eventual list: the product's own measure scored on the **later
  raters only**, ``|later raters of h ∩ raters of j| / (n_j + 10)`` averaged over the top 10 (``later@10``): how
  many of each listed film's raters go on to rate the new movie, which none of the lists saw.

Seed 0, CPU. The README's table of new movies comes from this output.
"""

from __future__ import annotations

import argparse
import json
import os
import re
from pathlib import Path
from typing import Any

import pandas as pd
import torch
import torch.nn.functional as F
from torch import Tensor

from bench.graph_file import release_graph
from movierec.gnn.data.hetero import MOVIE, RATES, USER, movie_genres
from movierec.gnn.data.split import EdgeSplit, message_graph
from movierec.gnn.models.registry import config_for
from movierec.gnn.models.scorers import LinearScorer
from movierec.gnn.serving.movie_foldin import (
    PRIOR_HALF,
    RANK_PRIOR_NEIGHBOURS,
    Catalogue,
    content_neighbours,
    content_prior,
    fold_in_ranking,
    fold_in_ratings,
)
from movierec.gnn.serving.new_movies import SIMILAR_MIN_RATINGS
from movierec.gnn.serving.similar import similar_movies
from movierec.gnn.training.train import train

NS = (0, 1, 5, 20)
MIN_RATINGS = 25  # held-out movies measured: at least this many ratings (20 known + 5 later)
HIT_AT = 100


def fit(full: Any, edges: Tensor, seed: int = 0, epochs: int | None = None) -> tuple[LinearScorer, LinearScorer]:
    """The default run's ranker (lightgcn) and rating model (gcmc), trained on ``edges`` (10 % of them validate)."""
    data = message_graph(full, edges)  # its edges are renumbered 0..len(edges) - 1
    g = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(edges), generator=g)
    n_val = len(edges) // 10
    split = EdgeSplit(train=order[n_val:].sort().values, val=order[:n_val].sort().values,
                      test=torch.zeros(0, dtype=torch.long))
    rank = train(data, split, config_for("lightgcn", device="cpu", seed=seed, epochs=epochs)).rank
    rating = train(data, split, config_for("gcmc", device="cpu", seed=seed, epochs=epochs)).rating
    assert isinstance(rank, LinearScorer) and isinstance(rating, LinearScorer)
    return rank, rating


def with_movies(s: LinearScorer, rows: Tensor, vectors: Tensor, bias: Tensor) -> LinearScorer:
    movie, movie_bias = s.movie.clone(), s.movie_bias.clone()
    movie[rows], movie_bias[rows] = vectors.to(movie.dtype), bias.to(movie_bias.dtype)
    return LinearScorer(s.user, movie, s.user_bias, movie_bias, s.offset)


def rank_metrics(rank: LinearScorer, movie: int, users: Tensor, rated: dict[int, set[int]], blocked: Tensor
                 ) -> tuple[list[float], list[float]]:
    scores = rank.scores(users)
    hits, aucs = [], []
    for row, u in enumerate(users.tolist()):
        s = scores[row].clone()
        s[blocked] = -float("inf")
        s[list(rated.get(u, ()))] = -float("inf")
        s[movie] = scores[row, movie]
        candidates = int(torch.isfinite(s).sum()) - 1
        above = int((s > s[movie]).sum())
        hits.append(float(above < HIT_AT))
        aucs.append(1 - above / max(candidates, 1))
    return hits, aucs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(os.environ.get("MOVIELENS_DIR", "../shared/datasets")) / "ml-latest-small"
    parser.add_argument("release", type=Path, nargs="?", default=default)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--epochs", type=int, help="cap every training's epochs (a quick check; default: the models')")
    parser.add_argument("--half", type=float, default=PRIOR_HALF,
                        help="ratings at which the raters' mean and the content prior weigh the same (default: the "
                        "product's)")
    parser.add_argument("--rank-neighbours", type=int, default=RANK_PRIOR_NEIGHBOURS,
                        help="content neighbours averaged into the ranker's prior (default: the product's)")
    parser.add_argument("--no-retrain", action="store_true", help="skip the retrain rows (a quick look at variants)")
    parser.add_argument("--seed", type=int, default=0, help="which 10 %% of the movies are held out, and the training "
                        "seed (another seed: a disjoint check of choices made on seed 0)")
    args = parser.parse_args()
    data = release_graph(args.release)
    users, movies = data[USER].num_nodes, data[MOVIE].num_nodes
    ei, stars, times = data[RATES].edge_index, data[RATES].edge_label.float(), data[RATES].time
    frame = pd.read_csv(args.release / "movies.csv").set_index("movieId")
    ids = data[MOVIE].node_id.tolist()
    genres = [frozenset(str(frame.loc[m, "genres"]).split("|")) - {"(no genres listed)"} for m in ids]
    years = torch.tensor([int(y.group(1)) if (y := re.search(r"\((\d{4})\)\s*$", str(frame.loc[m, "title"])))
                          else 0 for m in ids])
    g = torch.Generator().manual_seed(args.seed)
    held = torch.randperm(movies, generator=g)[: movies // 10]
    is_held = torch.zeros(movies, dtype=torch.bool)
    is_held[held] = True
    base = (~is_held[ei[1]]).nonzero().squeeze(1)
    counts = torch.bincount(ei[1], minlength=movies)
    measured = [int(m) for m in held.tolist() if counts[m] >= MIN_RATINGS]
    # each held-out movie's ratings in time order (ties by edge index)
    by_movie: dict[int, Tensor] = {}
    for m in held.tolist():
        e = (ei[1] == m).nonzero().squeeze(1)
        by_movie[m] = e[torch.sort(times[e], stable=True).indices]
    base_popularity = torch.bincount(ei[1, base], minlength=movies)
    trained = base_popularity > 0
    rated_base: dict[int, set[int]] = {}
    for u, m in zip(ei[0, base].tolist(), ei[1, base].tolist(), strict=True):
        rated_base.setdefault(u, set()).add(m)
    print(f"{len(held)} movies held out ({int(is_held[ei[1]].sum())} ratings), {len(measured)} measured "
          f"(≥ {MIN_RATINGS} ratings)", flush=True)

    base_rank, base_rating = fit(data, base, seed=args.seed, epochs=args.epochs)
    catalogue = Catalogue.build(genres, years, base_popularity, trained)
    neighbours, weight = content_neighbours(catalogue, [genres[m] for m in measured], years[measured])
    rows = torch.tensor(measured)
    # the peer: the most rated trained movie among those sharing the most genres (Jaccard), no year
    peer_of = []
    for m in measured:
        inter = torch.tensor([len(genres[m] & gs) / max(len(genres[m] | gs), 1) for gs in genres])
        inter[~trained] = -1.0
        best = inter == inter.max()
        peer_of.append(int(torch.where(best, base_popularity.float(), -1.0).argmax()))
    peer = torch.tensor(peer_of)
    peer_lists = []  # the peer's SIMILAR: the most rated trained movies sharing the most genres
    pop = base_popularity.float() / (base_popularity.max() + 1)
    for m in measured:
        share = torch.tensor([len(genres[m] & gs) / max(len(genres[m] | gs), 1) for gs in genres])
        key = (share + pop * 0.5 / len(genres)).masked_fill(~trained, -1.0)  # Jaccard first, then the most rated
        key[m] = -1.0
        peer_lists.append(torch.topk(key, 10).indices.tolist())
    onehots = movie_genres(data)  # SIMILAR's genre factor, as movierec train scores it
    eventual = similar_movies(ei, users, movies, k=10, genres=onehots)[0]
    raters_of: dict[int, set[int]] = {}
    for u, m in zip(ei[0].tolist(), ei[1].tolist(), strict=True):
        raters_of.setdefault(m, set()).add(u)
    out: dict[str, Any] = {"seed": args.seed, "held_out": len(held), "measured": len(measured), "rows": {}}
    for n in NS:
        known = torch.cat([by_movie[m][:n] for m in held.tolist()])
        kept = torch.cat([base, known]).sort().values
        rated = {u: set(v) for u, v in rated_base.items()}
        for u, m in zip(ei[0, known].tolist(), ei[1, known].tolist(), strict=True):
            rated.setdefault(u, set()).add(m)
        first = torch.cat([by_movie[m][:n] for m in measured]) if n else torch.zeros(0, dtype=torch.long)
        row_of = {m: i for i, m in enumerate(measured)}
        raters = torch.stack([torch.tensor([row_of[int(m)] for m in ei[1, first].tolist()], dtype=torch.long),
                              ei[0, first]]) if n else torch.zeros(2, 0, dtype=torch.long)
        # fold-in into the base run
        prior_v, prior_b = content_prior(base_rank.movie, base_rank.movie_bias, neighbours, weight, first_bias=True,
                                         top=args.rank_neighbours)
        vec, bias = fold_in_ranking(base_rank, raters, stars[first], len(measured), prior_v, prior_b, args.half)
        fold_rank = with_movies(base_rank, rows, vec, bias)
        prior_q, prior_qb = content_prior(base_rating.movie, base_rating.movie_bias, neighbours, weight)
        q, qb = fold_in_ratings(base_rating, raters, stars[first], len(measured), prior_q, prior_qb)
        fold_rating = with_movies(base_rating, rows, q, qb)
        # the embedding (gcmc's centred movie side) and its nearest trained movies, as fold_new_movies lists them
        centre = base_rating.movie[trained].mean(0)
        table = F.normalize((base_rating.movie - centre).masked_fill(~trained.unsqueeze(1), 0.0), dim=1)
        near = F.normalize(q - centre, dim=1) @ table.T
        by_embedding = torch.topk(near.masked_fill(~trained.unsqueeze(0), -2.0), 10, dim=1).indices.tolist()
        peer_rank = with_movies(base_rank, rows, base_rank.movie[peer], base_rank.movie_bias[peer])
        # the ranker's prior bias as the content neighbours' mean (the first version): what the bias alone does
        mean_bias = content_prior(base_rank.movie, base_rank.movie_bias, neighbours, weight)[1]
        fold_mean_bias = with_movies(base_rank, rows, vec, mean_bias)
        peer_rating = with_movies(base_rating, rows, base_rating.movie[peer], base_rating.movie_bias[peer])
        re_rank, re_rating = (fit(data, kept, seed=args.seed, epochs=args.epochs) if n and not args.no_retrain
                              else (base_rank, base_rating))
        similar_now = similar_movies(ei[:, kept], users, movies, k=10, genres=onehots)[0]
        result: dict[str, dict[str, float]] = {}
        for name, (rank, rating) in {"fold-in": (fold_rank, fold_rating),
                                     "fold-in, mean bias": (fold_mean_bias, fold_rating),
                                     "retrain": (re_rank, re_rating),
                                     "peer": (peer_rank, peer_rating)}.items():
            hits, aucs, errors = [], [], []
            for m in measured:
                later = by_movie[m][n:]
                blocked = is_held.clone()
                blocked[m] = False
                h, a = rank_metrics(rank, m, ei[0, later], rated, blocked)
                hits += h
                aucs += a
                predicted = rating.pairs(ei[0, later], torch.full((len(later),), m)).clamp(0.5, 5.0)
                errors += (predicted - stars[later]).pow(2).tolist()
            overlaps, later_scores = [], []
            for i, m in enumerate(measured):
                if name == "peer":
                    listed = peer_lists[i]
                elif name.startswith("fold-in") and n < SIMILAR_MIN_RATINGS:
                    listed = by_embedding[i]  # what refresh writes below 20 ratings: the embedding's neighbours
                elif n == 0:
                    listed = neighbours[i, :10].tolist()  # the retrain, no rating: the content neighbours
                else:
                    listed = similar_now[m].tolist()
                overlaps.append(len(set(listed) & set(eventual[m].tolist())) / 10)
                later_raters = set(ei[0, by_movie[m][n:]].tolist())
                later_scores.append(sum(len(later_raters & raters_of.get(j, set())) / (int(counts[j]) + 10)
                                        for j in listed[:10]) / 10)
            result[name] = {f"hr@{HIT_AT}": sum(hits) / len(hits), "auc": sum(aucs) / len(aucs),
                            "rmse": (sum(errors) / len(errors)) ** 0.5, "overlap@10": sum(overlaps) / len(overlaps),
                            "later@10": sum(later_scores) / len(later_scores),
                            "later_ratings": len(hits)}
        out["rows"][n] = result
        line = "  ".join(f"{k}: HR@{HIT_AT} {v[f'hr@{HIT_AT}']:.3f} AUC {v['auc']:.3f} RMSE {v['rmse']:.3f} "
                         f"SIMILAR {v['overlap@10']:.2f} later {v['later@10']:.4f}" for k, v in result.items())
        print(f"n={n:2d}  {line}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
