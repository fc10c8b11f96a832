"""How fast new movies fold in at scale (the computation only): ``python -m bench.movie_foldin_speed RUN RELEASE``.

RUN is a trained run directory of a ``combined`` / ``lightgcn`` + ``gcmc``-style run (ranker and rating model both
:class:`~movierec.gnn.models.scorers.LinearScorer`), RELEASE the MovieLens directory it was trained from (its
``movies.csv`` gives genres and years). 1,000 of the run's movies with at least 20 ratings stand in for new movies:
each is folded in from its genres, year and first 20 ratings by its raters (``gnn/serving/movie_foldin.py``: content
neighbours among all the run's movies, the ranking vector, the rating model), all 1,000 at once, then one at a time
(p50 / p99 over 200). Reading them from Neo4j and writing them back (``movierec refresh``) are not included.

``--whole``: time :func:`~movierec.gnn.serving.new_movies.fold_new_movies` instead, everything ``movierec refresh``
computes for a new movie, its ``SIMILAR`` both ways included (the run's measure, with the genre factor when its
``similar.pt`` records one); the run's co-rating index is built once first, untimed, as a refresh keeps it.

The 25M figures in BENCHMARKS.md: ``python -m bench.movie_foldin_speed /tmp/t25/runs/<combined run>
/tmp/t25/synth-25000000``.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path

import pandas as pd
import torch

from movierec.gnn.models.scorers import LinearScorer
from movierec.gnn.serving.movie_foldin import (
    RANK_PRIOR_NEIGHBOURS,
    Catalogue,
    content_neighbours,
    content_prior,
    fold_in_ranking,
    fold_in_ratings,
)
from movierec.gnn.serving.new_movies import CoRatings, NewMovie, fold_new_movies
from movierec.gnn.training.run_dir import load_run

BATCH = 1_000
KNOWN = 20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("release", type=Path)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--whole", action="store_true", help="time fold_new_movies, SIMILAR both ways included")
    args = parser.parse_args()
    run = load_run(args.run)
    rank, rating = run.rank_scorer, run.rating_scorer
    assert isinstance(rank, LinearScorer), "the run's ranker must be a LinearScorer (lightgcn, sage, combined)"
    frame = pd.read_csv(args.release / "movies.csv").set_index("movieId")
    genres = [frozenset(str(frame.loc[m, "genres"]).split("|")) - {"(no genres listed)"} for m in run.movie_ids]
    years = torch.tensor([int(y.group(1)) if (y := re.search(r"\((\d{4})\)\s*$", str(frame.loc[m, "title"])))
                          else 0 for m in run.movie_ids])
    edge_index, stars, _ = run.split()
    popularity = torch.bincount(edge_index[1], minlength=len(run.movie_ids))
    g = torch.Generator().manual_seed(0)
    pool = (popularity >= KNOWN).nonzero().squeeze(1)
    chosen = pool[torch.randperm(len(pool), generator=g)[:BATCH]]
    row_of = torch.full((len(run.movie_ids),), -1, dtype=torch.long)
    row_of[chosen] = torch.arange(len(chosen))
    mine = (row_of[edge_index[1]] >= 0).nonzero().squeeze(1)
    rows = row_of[edge_index[1, mine]]
    order = torch.argsort(rows, stable=True)
    mine, rows = mine[order], rows[order]
    first = torch.cat([torch.arange(int(s), int(s) + KNOWN)
                       for s in torch.searchsorted(rows, torch.arange(len(chosen)))])
    ratings_of = mine[first]
    raters_all = torch.stack([rows[first], edge_index[0, ratings_of]])
    values_all = stars[ratings_of].float()
    catalogue = Catalogue.build(genres, years, popularity, popularity > 0)  # once per run, not timed

    def fold(which: torch.Tensor) -> float:
        start = time.perf_counter()
        keep = torch.isin(raters_all[0], which)
        local = torch.full((len(chosen),), -1, dtype=torch.long)
        local[which] = torch.arange(len(which))
        raters = torch.stack([local[raters_all[0, keep]], raters_all[1, keep]])
        idx, weight = content_neighbours(catalogue, [genres[int(m)] for m in chosen[which]], years[chosen[which]])
        prior, prior_bias = content_prior(rank.movie, rank.movie_bias, idx, weight, first_bias=True,
                                          top=RANK_PRIOR_NEIGHBOURS)
        fold_in_ranking(rank, raters, values_all[keep], len(which), prior, prior_bias)
        q0, b0 = content_prior(rating.movie, rating.movie_bias, idx, weight)
        fold_in_ratings(rating, raters, values_all[keep], len(which), q0, b0)
        return time.perf_counter() - start

    if args.whole:
        co_ratings = CoRatings.of(run)  # once per run, as refresh keeps it: not timed
        news = [NewMovie(-1 - i, None, int(years[int(m)]) or None, genres[int(m)],
                         [run.user_ids[int(u)] for u in raters_all[1, raters_all[0] == i]],
                         values_all[raters_all[0] == i].tolist()) for i, m in enumerate(chosen.tolist())]

        def fold(which: torch.Tensor) -> float:  # noqa: F811  (the whole fold replaces the parts)
            start = time.perf_counter()
            fold_new_movies(run, catalogue, [news[i] for i in which.tolist()], co_ratings=co_ratings)
            return time.perf_counter() - start

    fold(torch.arange(10))  # warm-up
    batch_s = fold(torch.arange(len(chosen)))
    single = sorted(fold(torch.tensor([i])) * 1000 for i in range(200))
    out = {"run": run.run_id, "movies": len(run.movie_ids), "users": len(run.user_ids),
           "rank_dims": int(rank.movie.size(1)), "rating_dims": int(rating.movie.size(1)),
           "batch": len(chosen), "known_ratings": KNOWN, "whole": args.whole,
           "similar_genre_weight": run.similar_genre_weight(), "batch_seconds": round(batch_s, 2),
           "one_p50_ms": round(single[len(single) // 2], 1), "one_p99_ms": round(single[int(len(single) * 0.99)], 1)}
    print(f"{out['batch']:,} new movies ({KNOWN} ratings each) folded into {out['movies']:,} movies: "
          f"{out['batch_seconds']} s; one movie p50 {out['one_p50_ms']} ms, p99 {out['one_p99_ms']} ms "
          f"(computation only{', SIMILAR included' if args.whole else ''}; genre weight "
          f"{out['similar_genre_weight']})", flush=True)
    if args.json:
        args.json.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
