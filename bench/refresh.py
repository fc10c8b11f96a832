"""Fresh recommendations on a written-back graph: ``python -m bench.refresh [--samples N] [--users N] [--json OUT]``.

Against the Neo4j of ``NEO4J_URI`` (a graph with an active run, e.g. the 25M pipeline's), with the active run
loaded once (as ``refresh --watch`` or an application would keep it), it measures:

1. **one user refreshed end to end**: a new rating written with ``movierec rate``'s library call, then that
   user's ratings read, every movie scored by fold-in, the top-K written
   (:func:`movierec.gnn.serving.refresh.refresh_users`);
   the time of step 2 alone, ``samples`` times: p50 / p99;
2. **refresh of many changed users**: ``users`` users each rate one more movie, then one :func:`refresh` call
   (finding the changed users included): seconds and users per second;
3. **recommend --fresh** at 1 client (:func:`movierec.gnn.serving.refresh.fresh_recommend`): p50 / p99 over ``samples``
   users.

Each timed loop is preceded by ``--warmup`` untimed requests (the run's tensors and the server's caches warm up,
as in a service that has been running); the users are drawn at random, so the page cache still misses for most.
It writes ratings into the graph (to users that exist, movies that exist): run it on a benchmark graph.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from pathlib import Path
from typing import Any

from movierec import cypher
from movierec.core.db import connect
from movierec.core.settings import Neo4jSettings
from movierec.gnn.serving.refresh import ActiveFoldIn, fresh_recommend, refresh, refresh_users
from movierec.ingest.rate import rate_movie

GOALS = {"one_user_p50_ms": 50.0, "one_user_p99_ms": 200.0, "refresh_1000_s": 10.0, "fresh_p99_ms": 100.0}


def _percentiles(ms: list[float]) -> dict[str, float]:
    ordered = sorted(ms)
    return {"p50_ms": statistics.median(ordered), "p99_ms": ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))],
            "mean_ms": statistics.fmean(ordered), "n": len(ordered)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=500, help="Single-user measurements. [default: 500]")
    parser.add_argument("--warmup", type=int, default=20, help="Untimed requests before each loop. [default: 20]")
    parser.add_argument("--users", type=int, default=1000, help="Changed users refreshed at once. [default: 1000]")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="Also write the figures here.")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    out: dict[str, Any] = {}
    with connect(Neo4jSettings.resolve()) as graph:
        started = time.perf_counter()
        active = ActiveFoldIn(graph)
        fold, exclude = active.get()
        out["load_run_s"] = time.perf_counter() - started
        out["run_id"] = fold.run.run_id
        ids = graph.read(cypher.load("read_node_ids"))[0]
        users, movies = list(ids["userIds"]), list(ids["movieIds"])
        out["graph"] = {"users": len(users), "movies": len(movies)}
        k = active.recommended_k

        one: list[float] = []
        for i in range(args.warmup + args.samples):
            user = rng.choice(users)
            rate_movie(graph, user, rng.choice(movies), rng.choice([3.0, 4.0, 5.0]))
            t0 = time.perf_counter()
            refresh_users(graph, fold, exclude, [user], k)
            if i >= args.warmup:
                one.append((time.perf_counter() - t0) * 1000)
        out["one_user"] = _percentiles(one)
        print(f"one user refreshed end to end (read, score {len(fold.run.movie_ids):,} movies, write {k}): "
              f"p50 {out['one_user']['p50_ms']:.1f} ms, p99 {out['one_user']['p99_ms']:.1f} ms", flush=True)

        refresh(graph, active)  # nothing left over from step 1
        changed = rng.sample(users, args.users)
        for user in changed:
            rate_movie(graph, user, rng.choice(movies), 4.0)
        t0 = time.perf_counter()
        result = refresh(graph, active)
        seconds = time.perf_counter() - t0
        out["refresh_many"] = {"changed": args.users, "refreshed": result.users, "seconds": seconds,
                               "users_per_s": result.users / seconds, "steps": result.seconds}
        print(f"refresh of {args.users} changed users: {result.users} refreshed in {seconds:.2f} s "
              f"({result.seconds})", flush=True)

        fresh: list[float] = []
        for i, user in enumerate(rng.sample(users, args.warmup + args.samples)):
            t0 = time.perf_counter()
            fresh_recommend(graph, user, k=10, active=active)
            if i >= args.warmup:
                fresh.append((time.perf_counter() - t0) * 1000)
        out["fresh"] = _percentiles(fresh)
        print(f"recommend --fresh at 1 client: p50 {out['fresh']['p50_ms']:.1f} ms, "
              f"p99 {out['fresh']['p99_ms']:.1f} ms")
    figures = {"one_user_p50_ms": out["one_user"]["p50_ms"], "one_user_p99_ms": out["one_user"]["p99_ms"],
               "refresh_1000_s": out["refresh_many"]["seconds"] * 1000 / args.users,
               "fresh_p99_ms": out["fresh"]["p99_ms"]}
    out["targets"] = {name: {"value": figures[name], "goal": goal, "met": figures[name] <= goal}
                      for name, goal in GOALS.items()}
    for name, target in out["targets"].items():
        print(f"  target {name}: {target['value']:.1f} (goal <= {target['goal']:g}) -> "
              f"{'met' if target['met'] else 'MISSED'}")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2, default=str) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
