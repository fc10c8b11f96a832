"""Stage ``query``: latency under load of the Cypher library's hot queries.

For 1, 4 and 16 concurrent clients, each a separate process with its own driver (so that
the Python GIL of one client process does not queue the others' requests), every query runs
back to back for ``--duration`` seconds in all with random users / movies (seeded), and the
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

Before measuring, every query runs for a short warm-up (plans cached, pages in the cache).

The queries take turns in slices of :data:`SLICE_S` seconds (every query one slice, then again,
until each has had its ``--duration``), all clients starting each slice together. A stall of the
machine (a checkpoint, another process, the JIT) then lands in every query's samples alike, rather
than in whichever query happened to be running: the p99 ratios compare the queries with the floor
under the same conditions. At 1 client a p99 is the tail of a few thousand requests; measured in
one block of 10 s each, the same query text gave 2.3 ms in one run and 6.7 ms in the next.
``collaborative_filtering`` (seconds a request) runs in one block of its own.
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
SLICE_S = 1.0  # each query's turn; a query's --duration is spread over many turns
SLOW_PEER = "collaborative_filtering"  # measured in one block of its own (seconds a request)
QUERY_TIMEOUT_S = 30.0
BARRIER_TIMEOUT_S = QUERY_TIMEOUT_S + 60  # the longest a turn can overrun: one request
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


def _client(uri: str, password: str, queries: list[tuple[str, str]], users: list[int], movies: list[int],
            seed: int, slices: list[tuple[int, float]], ready: Any, barrier: Any, queue: Any) -> None:
    """One client process: connect, say ready, then for each slice ``(query index, seconds)`` wait for every client
    at ``barrier`` and run that query back to back for that long. Reports per query."""
    import neo4j

    rng = random.Random(seed)
    latencies: list[list[float]] = [[] for _ in queries]
    errors: list[dict[str, int]] = [{} for _ in queries]
    empty = [0 for _ in queries]
    with neo4j.GraphDatabase.driver(uri, auth=("neo4j", password)) as driver:
        driver.verify_connectivity()
        ready.put(seed)
        for index, seconds in slices:
            query, kind = queries[index]
            barrier.wait(timeout=BARRIER_TIMEOUT_S)  # a client that died breaks it for all: no one waits forever
            stop_at = time.perf_counter() + seconds
            while True:
                now = time.perf_counter()
                if now >= stop_at:
                    break
                try:
                    records, _, _ = driver.execute_query(
                        neo4j.Query(query, timeout=QUERY_TIMEOUT_S), _params(kind, rng, users, movies),
                        database_="neo4j", routing_=neo4j.RoutingControl.READ,
                    )
                    latencies[index].append((time.perf_counter() - now) * 1000)
                    if not records or (kind == "user_movies" and all(r["predictedRating"] is None for r in records)):
                        empty[index] += 1  # (predict_rating answers null where the graph holds no rating model)
                except Exception as e:  # every failure is a counted error, the load goes on
                    key = type(e).__name__
                    errors[index][key] = errors[index].get(key, 0) + 1
    queue.put({"latencies": latencies, "errors": errors, "empty": empty})


def _percentile(sorted_values: list[float], q: float) -> float | None:
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, round(q / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


def slices(n_queries: int, duration: float, slice_s: float = SLICE_S) -> list[tuple[int, float]]:
    """Turns ``(query index, seconds)``: every query in order, again and again, each ``duration`` seconds in all."""
    turns = max(1, round(duration / slice_s))
    return [(i, duration / turns) for _ in range(turns) for i in range(n_queries)]


def measure(uri: str, password: str, queries: dict[str, tuple[str, str]], users: list[int], movies: list[int],
            clients: int, duration: float, seed: int = 0, slice_s: float = SLICE_S) -> dict[str, dict[str, Any]]:
    """Run ``clients`` client processes over every query, taking turns (:func:`slices`), ``duration`` seconds each.

    Each request draws its ids (a user, a movie, or a user and :data:`PREDICT_MOVIES` movies, by the query's kind)
    from ``users`` / ``movies`` with the client's seeded generator.

    Returns:
        dict: query name → ``queries``, ``qps``, ``p50`` / ``p95`` / ``p99`` (ms), ``errors``, ``error_types``,
        ``empty``.
    """
    names = list(queries)
    plan = slices(len(names), duration, slice_s)
    ctx = mp.get_context("spawn")
    queue, ready, barrier = ctx.Queue(), ctx.Queue(), ctx.Barrier(clients)
    procs = [ctx.Process(target=_client, args=(uri, password, [queries[n] for n in names], users, movies,
                                                seed * 1000 + i, plan, ready, barrier, queue)) for i in range(clients)]
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
    total = duration * len(names)
    try:
        results = [queue.get(timeout=total + 120 + QUERY_TIMEOUT_S * len(plan)) for _ in procs]
    except queue_module.Empty:
        for p in procs:
            p.kill()
        raise QueryBenchError(f"a query client process died while measuring (exit codes "
                              f"{[p.exitcode for p in procs]})") from None
    for p in procs:
        p.join(timeout=30)
    out: dict[str, dict[str, Any]] = {}
    for index, name in enumerate(names):
        latencies = sorted(x for r in results for x in r["latencies"][index])
        errors: dict[str, int] = {}
        for r in results:
            for k, v in r["errors"][index].items():
                errors[k] = errors.get(k, 0) + v
        out[name] = {
            "queries": len(latencies), "qps": len(latencies) / duration,
            "p50": _percentile(latencies, 50), "p95": _percentile(latencies, 95), "p99": _percentile(latencies, 99),
            "errors": sum(errors.values()), "error_types": errors, "empty": sum(r["empty"][index] for r in results),
        }
    return out


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
    queries = _queries()
    # the pure-Cypher peer takes seconds a request: it gets one block of its own, after the others
    taking_turns = {name: q for name, q in queries.items() if name != SLOW_PEER}
    measure(settings.uri, password, queries, user_ids, movie_ids, 1, WARMUP_S, slice_s=WARMUP_S)
    by_clients = {}
    for clients in CLIENTS:
        by_clients[clients] = measure(settings.uri, password, taking_turns, user_ids, movie_ids, clients,
                                      ctx.duration, seed=clients)
        by_clients[clients].update(measure(settings.uri, password, {SLOW_PEER: queries[SLOW_PEER]}, user_ids,
                                           movie_ids, clients, ctx.duration, seed=clients, slice_s=ctx.duration))
    for name in queries:
        for clients in CLIENTS:
            out = by_clients[clients][name]
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

