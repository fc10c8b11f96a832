"""New movies folded in end to end, Neo4j reads and writes included: ``python -m bench.movie_foldin_neo4j``.

Against the Neo4j of ``NEO4J_URI`` (a graph with an active factor run, e.g. the 25M pipeline's default run), with
the active run loaded once (as ``refresh --watch`` or a service keeps it; the load, the catalogue and the co-rating
index are timed apart), it measures :func:`movierec.gnn.serving.refresh.refresh_movies`, what ``movierec refresh``
does for new movies: read the movies without an embedding with their genres and ratings, fold them in (ranker,
rating model, embedding, ``SIMILAR`` both ways) and write each one whole under the run's lock:

1. **a batch**: ``--batch`` (1,000) movies created in Cypher, each with the genres of a random movie of the run and
   ``--ratings`` (20) ratings by random users of the run, then one ``refresh_movies``;
2. **one movie**: ``--samples`` times, one such movie created, then ``refresh_movies``: p50 / p99.

The movies it creates (movieId from 2,000,000,000) are deleted at the end with their relationships, and every
``SIMILAR`` list of the run is written again from the run directory (the lists the new movies entered had lost a
neighbour, and a second measurement on short lists writes far more: 12.5 s instead of 9.5 s for the batch). Run it
on a benchmark graph. ``--restore-first`` writes every list of the run from the run directory before measuring too
(untimed): after ``python -m bench.similar_refit RUN`` recomputed them with another measure.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import statistics
import time
from pathlib import Path
from typing import Any

import torch

from movierec import cypher
from movierec.core.db import Graph, connect
from movierec.core.settings import Neo4jSettings
from movierec.gnn.data.ids import positions
from movierec.gnn.serving.refresh import ActiveFoldIn, refresh_movies
from movierec.gnn.serving.similar_writeback import similar_rows

FIRST_ID = 2_000_000_000
GOALS = {"batch_s": 10.0, "one_p99_ms": 200.0}
CREATE = """
UNWIND $rows AS row
CREATE (m:Movie {movieId: row.movieId, title: row.title, year: row.year})
WITH m, row
CALL (m, row) {
  UNWIND row.genres AS name
  MATCH (g:Genre {name: name})
  CREATE (m)-[:IN_GENRE]->(g)
}
CALL (m, row) {
  UNWIND row.users AS userId
  MATCH (u:User {userId: userId})
  CREATE (u)-[:RATED {rating: row.rating, timestamp: datetime()}]->(m)
}
"""


def new_movies(graph: Graph, rng: random.Random, first: int, n: int, ratings: int, user_ids: list[int],
               genres_of: list[list[str]]) -> None:
    rows = [{"movieId": first + i, "title": f"New movie {first + i}", "year": 2026, "genres": rng.choice(genres_of),
             "users": rng.sample(user_ids, ratings), "rating": float(rng.choice([3.0, 3.5, 4.0, 4.5, 5.0]))}
            for i in range(n)]
    graph.write(CREATE, rows=rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--ratings", type=int, default=20)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--restore-first", action="store_true",
                        help="write every SIMILAR list of the run from its similar.pt before measuring (untimed)")
    args = parser.parse_args()
    logging.getLogger("neo4j").setLevel(logging.ERROR)  # the server's notes on a fresh store are not results
    rng = random.Random(args.seed)
    out: dict[str, Any] = {"batch": args.batch, "ratings_each": args.ratings, "samples": args.samples}
    with connect(Neo4jSettings.resolve()) as graph:
        try:
            t0 = time.perf_counter()
            active = ActiveFoldIn(graph)
            fold, _ = active.get()
            t1 = time.perf_counter()
            active.catalogue(fold)
            t2 = time.perf_counter()
            active.co_ratings(fold)
            t3 = time.perf_counter()
            out.update(run_id=fold.run.run_id, movies=len(fold.run.movie_ids), users=len(fold.run.user_ids),
                       load_run_s=t1 - t0, catalogue_s=t2 - t1, co_ratings_s=t3 - t2)
            print(f"run {fold.run.run_id}: loaded in {t1 - t0:.1f} s, catalogue {t2 - t1:.1f} s, co-rating index "
                  f"{t3 - t2:.1f} s (once per run)", flush=True)
            genres_of = [r["genres"] for r in graph.read(
                "MATCH (m:Movie) WITH m LIMIT 5000 RETURN COLLECT { MATCH (m)-[:IN_GENRE]->(g) RETURN g.name } "
                "AS genres")]
            user_ids = list(fold.run.user_ids)
            if refresh_movies(graph, active, fold):  # anything new before the benchmark: folded, untimed
                fold, _ = active.get()
            if args.restore_first:
                start = time.perf_counter()
                _restore_lists(graph)
                print(f"every SIMILAR list written from similar.pt in {time.perf_counter() - start:.1f} s "
                      f"(genre weight {fold.run.similar_genre_weight()}; untimed)", flush=True)
            out["similar_genre_weight"] = fold.run.similar_genre_weight()
            new_movies(graph, rng, FIRST_ID, args.batch, args.ratings, user_ids, genres_of)
            seconds: dict[str, float] = {}
            start = time.perf_counter()
            folded = refresh_movies(graph, active, fold, seconds)
            out["batch_s"] = time.perf_counter() - start
            out["batch_parts_s"] = seconds
            assert folded == args.batch, f"folded {folded} of {args.batch}"
            print(f"{args.batch:,} new movies ({args.ratings} ratings each) folded in end to end: "
                  f"{out['batch_s']:.2f} s ({', '.join(f'{k} {v:.2f} s' for k, v in seconds.items())})", flush=True)
            one = []
            for i in range(args.samples):
                fold, _ = active.get()
                new_movies(graph, rng, FIRST_ID + args.batch + i, 1, args.ratings, user_ids, genres_of)
                start = time.perf_counter()
                assert refresh_movies(graph, active, fold) == 1
                one.append((time.perf_counter() - start) * 1000)
            one.sort()
            out["one_p50_ms"] = statistics.median(one)
            out["one_p99_ms"] = one[min(len(one) - 1, int(0.99 * len(one)))]
            print(f"one new movie end to end: p50 {out['one_p50_ms']:.1f} ms, p99 {out['one_p99_ms']:.1f} ms "
                  f"over {len(one)}", flush=True)
            out["goals"] = GOALS
        finally:
            _delete(graph)
            _restore_lists(graph)
    if args.json:
        args.json.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")


def _restore_lists(graph: Graph) -> None:
    """Every SIMILAR list of the active run as its writeback wrote it (``similar.pt``; each movie's list deleted
    and written again by ``cypher/write_similar_movies.cypher``)."""
    fold, _ = ActiveFoldIn(graph).get()
    ids = graph.read(cypher.load("read_node_ids"))[0]
    _, in_graph = positions(ids["movieIds"], fold.run.movie_ids)
    movies, scores = fold.run.similar()
    rows = similar_rows(fold.run.movie_ids, movies, scores, torch.from_numpy(in_graph), set())
    graph.write_batches(cypher.load("write_similar_movies"), rows, batch_size=2_000, workers=2, runId=fold.run.run_id)


def _delete(graph: Graph) -> None:
    while graph.write("MATCH (m:Movie) WHERE m.movieId >= $first WITH m LIMIT 200 DETACH DELETE m "
                      "RETURN count(*) AS n", first=FIRST_ID)[0]["n"]:
        pass


if __name__ == "__main__":
    main()
