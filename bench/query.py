"""Stage ``query``: latency under load of the Cypher library's hot queries.

For 1, 4 and 16 concurrent clients, each a separate process with its own driver (so that
the Python GIL of one client process does not queue the others' requests), every query runs
back to back for ``--duration`` seconds with random users / movies (seeded), and the
harness reports throughput, p50 / p95 / p99 latency (ms, client-side, the whole eager
``execute_query`` round trip) and errors.

Queries:

- ``recommend_for_user`` (k 10, no genre) and ``similar_movies`` (k 10, SIMILAR relationships): movierec's.
- ``because_you_rated`` (k 3, minRating 4): why a random movie for a random user (the run's SIMILAR links and
  shared genres, no paths).
- ``predict_rating``: one user's predicted ratings of 50 movies (random among the movies the active run embedded),
  computed in Cypher from the rating model on the nodes (a ``reduce`` dot product per pair).
- **indexed user lookup** (the peer): ``MATCH (u:User {userId: $userId})-[r:RATED]->(m) RETURN
  ... ORDER BY r.rating DESC LIMIT 10``, one index seek and one expansion, the floor of any
  per-user query on this server and this client: the ratios say what movierec's queries cost
  above the cheapest possible answer.
- ``collaborative_filtering`` (the second peer): the pure-Cypher recommendation a user would
  run without a model (two hops through co-raters), to show what precomputing buys.

Before measuring, each query runs for a short warm-up (plans cached, pages in the cache).
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import queue as queue_module
import random
import time
from typing import Any

from bench import cypher as bench_cypher
from bench.context import Context
from bench.report import Row, StageResult, Target
from movierec import cypher
from movierec.core.errors import MovierecError

logger = logging.getLogger(__name__)

CLIENTS = (1, 4, 16)
WARMUP_S = 3.0
QUERY_TIMEOUT_S = 30.0
PEER_LOOKUP = (
    "MATCH (u:User {userId: $userId})-[r:RATED]->(m:Movie) "
    "RETURN m.movieId AS movieId, m.title AS title, r.rating AS rating ORDER BY r.rating DESC, movieId LIMIT 10"
)


class QueryBenchError(MovierecError):
    """The query benchmark has nothing to query."""


PREDICT_MOVIES = 50  # movies per predict_rating call
MEASURED = ("recommend_for_user", "similar_movies", "because_you_rated", "predict_rating")
FLOOR_RATIO = 1.5  # goal: each query's p99 within 1.5x the indexed lookup's at the same concurrency


def _queries() -> dict[str, tuple[str, str]]:
    """name → (Cypher text, which ids it takes: ``user``, ``movie``, ``user_movie`` or ``user_movies``)."""
    return {
        "recommend_for_user": (cypher.load("recommend_for_user"), "user"),
        "similar_movies": (cypher.load("similar_movies"), "movie"),
        "because_you_rated": (cypher.load("because_you_rated"), "user_movie"),
        "predict_rating": (cypher.load("predict_rating"), "user_movies"),
        "indexed user lookup": (PEER_LOOKUP, "user"),
        "collaborative_filtering": (cypher.load("collaborative_filtering"), "user"),
    }


def _params(kind: str, rng: random.Random, users: list[int], movies: list[int]) -> dict[str, Any]:
    if kind == "movie":
        return {"movieId": rng.choice(movies), "k": 10}
    if kind == "user_movie":
        return {"userId": rng.choice(users), "movieId": rng.choice(movies), "minRating": 4.0, "k": 3}
    if kind == "user_movies":
        return {"userId": rng.choice(users), "movieIds": rng.sample(movies, min(PREDICT_MOVIES, len(movies)))}
    return {"userId": rng.choice(users), "k": 10, "genre": None, "minRating": 4.0, "neighbours": 50}


def _client(uri: str, password: str, query: str, kind: str, users: list[int], movies: list[int], seed: int,
            duration: float, ready: Any, go: Any, queue: Any) -> None:
    """One client process: connect, say ready, wait for the start signal, run ``query`` for ``duration`` s."""
    import neo4j

    rng = random.Random(seed)
    latencies: list[float] = []
    errors: dict[str, int] = {}
    empty = 0
    with neo4j.GraphDatabase.driver(uri, auth=("neo4j", password)) as driver:
        driver.verify_connectivity()
        ready.put(seed)
        go.wait()
        stop_at = time.perf_counter() + duration
        while True:
            now = time.perf_counter()
            if now >= stop_at:
                break
            try:
                records, _, _ = driver.execute_query(
                    neo4j.Query(query, timeout=QUERY_TIMEOUT_S), _params(kind, rng, users, movies),
                    database_="neo4j", routing_=neo4j.RoutingControl.READ,
                )
                latencies.append((time.perf_counter() - now) * 1000)
                if not records or (kind == "user_movies" and all(r["predictedRating"] is None for r in records)):
                    empty += 1  # (predict_rating answers null where the graph holds no rating model)
            except Exception as e:  # every failure is a counted error, the load goes on
                key = type(e).__name__
                errors[key] = errors.get(key, 0) + 1
    queue.put({"latencies": latencies, "errors": errors, "empty": empty})


def _percentile(sorted_values: list[float], q: float) -> float | None:
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, round(q / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


def measure(uri: str, password: str, query: str, kind: str, users: list[int], movies: list[int], clients: int,
            duration: float, seed: int = 0) -> dict[str, Any]:
    """Run ``clients`` client processes for ``duration`` seconds; latency percentiles and errors.

    Each request draws its ids (a user, a movie, or a user and :data:`PREDICT_MOVIES` movies, by ``kind``) from
    ``users`` / ``movies`` with the client's seeded generator.
    """
    ctx = mp.get_context("spawn")
    queue, ready, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    procs = [ctx.Process(target=_client, args=(uri, password, query, kind, users, movies, seed * 1000 + i,
                                                duration, ready, go, queue)) for i in range(clients)]
    for p in procs:
        p.start()
    started = 0
    while started < clients:  # every client started and connected before the clock starts
        try:
            ready.get(timeout=1)
            started += 1
        except queue_module.Empty:
            dead = [p.exitcode for p in procs if p.exitcode is not None]
            if dead:
                for p in procs:
                    p.kill()
                raise QueryBenchError(f"a query client process died before starting (exit codes {dead})") from None
    go.set()
    results = [queue.get(timeout=duration + 120 + QUERY_TIMEOUT_S) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    latencies = sorted(x for r in results for x in r["latencies"])
    errors: dict[str, int] = {}
    for r in results:
        for k, v in r["errors"].items():
            errors[k] = errors.get(k, 0) + v
    return {
        "queries": len(latencies), "qps": len(latencies) / duration,
        "p50": _percentile(latencies, 50), "p95": _percentile(latencies, 95), "p99": _percentile(latencies, 99),
        "errors": sum(errors.values()), "error_types": errors, "empty": sum(r["empty"] for r in results),
    }


def run(ctx: Context) -> StageResult:
    """Measure query latency under load on the benchmark graph (which needs a written-back run)."""
    server = ctx.ensure_graph()
    settings = server.settings()
    password = settings.password or ""
    with server.connect() as graph:
        sample = graph.read(bench_cypher.load("read_sample_ids"))
    users, movies = (list(sample[0]["users"]), list(sample[0]["movies"])) if sample else ([], [])
    if not users or not movies:
        if ctx.state.get("query_wrote_run"):
            raise QueryBenchError("the writeback left no active run with recommendations and embeddings")
        logger.warning("no active run in the graph: running the writeback stage first")
        from bench import writeback

        writeback.run(ctx)
        ctx.state["query_wrote_run"] = True
        return run(ctx)
    result = StageResult(
        stage="query", dataset=ctx.dataset.name, ratings=ctx.dataset.ratings, primary="p99",
        units={"clients": "", "queries/s": "", "p50": "ms", "p95": "ms", "p99": "ms", "errors": ""},
    )
    rng = random.Random(0)
    user_ids = rng.sample(users, min(len(users), 20_000))
    movie_ids = rng.sample(movies, min(len(movies), 20_000))
    raw: dict[str, Any] = {}
    for name, (query, kind) in _queries().items():
        measure(settings.uri, password, query, kind, user_ids, movie_ids, 1, WARMUP_S)
        for clients in CLIENTS:
            out = measure(settings.uri, password, query, kind, user_ids, movie_ids, clients, ctx.duration,
                          seed=clients)
            raw[f"{name} x{clients}"] = out
            note = ""
            if out["errors"]:
                note = f"errors: {out['error_types']}"
            if out["empty"]:
                note += f" {out['empty']} empty answers"
            result.rows.append(Row(
                name=f"{name}, {clients} clients", peer=name == "indexed user lookup",
                figures={"clients": clients, "queries/s": out["qps"], "p50": out["p50"], "p95": out["p95"],
                         "p99": out["p99"], "errors": out["errors"]},
                note=note.strip(),
            ))
    # ratios against the peer at the same concurrency are the useful ones: put them in the notes
    for name in MEASURED:
        for clients in CLIENTS:
            ours, floor = raw[f"{name} x{clients}"], raw[f"indexed user lookup x{clients}"]
            if ours["p99"] and floor["p99"]:
                result.extra.setdefault("p99_vs_lookup_same_clients", {})[f"{name} x{clients}"] = (
                    ours["p99"] / floor["p99"])
    result.extra["raw"] = raw
    result.extra["duration_s"] = ctx.duration
    result.extra["users_sampled"] = len(user_ids)
    result.extra["movies_sampled"] = len(movie_ids)
    # p99 against the floor of the same run at the same concurrency: on 2 cores 16 clients queue, whatever the query
    for name in MEASURED:
        for clients in CLIENTS:
            ours, floor = raw[f"{name} x{clients}"], raw[f"indexed user lookup x{clients}"]
            ratio = ours["p99"] / floor["p99"] if ours["p99"] and floor["p99"] else None
            met = ratio is not None and ratio <= FLOOR_RATIO and ours["errors"] == 0
            result.targets.append(Target(f"{name} p99 ÷ indexed lookup p99 at {clients} clients, 0 errors", ratio,
                                         f"≤ {FLOOR_RATIO}x", met))
    out = raw["recommend_for_user x1"]
    result.targets.append(Target("recommend_for_user p50 at 1 client (ms)", out["p50"], "≤ 5 ms",
                                 out["p50"] is not None and out["p50"] <= 5))
    out = raw["predict_rating x1"]
    met = out["p99"] is not None and out["p99"] <= 10 and out["errors"] == 0
    result.targets.append(Target(f"predict_rating (1 user x {PREDICT_MOVIES} movies) p99 at 1 client (ms), 0 errors",
                                 out["p99"], "≤ 10 ms on the 25M graph", met))
    return result

