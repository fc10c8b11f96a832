"""Stage ``export``: movierec's export to HeteroData against a bare driver scan.

- **movierec export** (:func:`gnn.export.export_graph`): nodes, the streamed ratings, the
  tensors; edges/s over the whole export.
- **bare driver scan, one record per rating** (the peer): the obvious query for the same ratings
  (``cypher/export_rating_rows.cypher``), same fetch size, each record's four values appended to
  Python lists, nothing else.
- **bare driver scan, one record per user**: export's own query (``cypher/export_ratings.cypher``,
  a user's ratings as three lists) with the lists appended, nothing else: the floor for movierec's
  query, so the gap to it is the cost of the arrays and tensors.

Each variant runs in its own child process (``bench.child``) so that its peak RSS is its
own; ``baseline RSS`` is the child's RSS after its imports (interpreter, driver, torch).
With an interpreter that has ``neo4j-rust-ext`` (``--rust-python``) both run again with it.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from bench.child import run_in_child
from bench.context import Context
from bench.report import Row, StageResult, Target, ratio
from movierec.settings import Neo4jSettings

logger = logging.getLogger(__name__)


def _settings(uri: str) -> Neo4jSettings:
    return Neo4jSettings(uri=uri, password=os.environ["BENCH_NEO4J_PASSWORD"])


def child_export(uri: str, fetch_size: int) -> dict[str, Any]:
    """In a child: movierec's export of the whole graph."""
    from gnn.export import export_graph
    from movierec.db import connect

    with connect(_settings(uri)) as graph:
        started = time.perf_counter()
        data, stats = export_graph(graph, fetch_size=fetch_size)
        seconds = time.perf_counter() - started
    return {"edges": stats.edges, "seconds": seconds, "ratings_seconds": stats.seconds,
            "users": stats.users, "movies": stats.movies, "nodes": int(data.num_nodes)}


def child_bare_scan(uri: str, fetch_size: int, per_user: bool = False) -> dict[str, Any]:
    """In a child: the rating records into four Python lists with the bare driver."""
    import cypher
    from gnn.config import SubgraphFilter
    from movierec.db import connect

    params = SubgraphFilter().params()
    users: list[int] = []
    movies: list[int] = []
    ratings: list[float] = []
    times: list[int] = []
    with connect(_settings(uri)) as graph:
        started = time.perf_counter()
        with graph.driver.session(database=graph.database, fetch_size=fetch_size) as session:
            if per_user:
                for record in session.run(cypher.load("export_ratings"), params):
                    users.append(record[0])
                    movies.extend(record[1])
                    ratings.extend(record[2])
                    times.extend(record[3])
            else:
                for record in session.run(cypher.load("export_rating_rows"), params):
                    users.append(record[0])
                    movies.append(record[1])
                    ratings.append(record[2])
                    times.append(record[3])
        seconds = time.perf_counter() - started
    return {"edges": len(ratings), "seconds": seconds, "ratings_seconds": seconds}


def _row(name: str, result: dict[str, Any], peer: bool = False, note: str = "") -> Row:
    return Row(
        name=name, peer=peer, note=note,
        figures={"edges/s": result["edges"] / result["seconds"], "seconds": result["seconds"],
                 "peak RSS": result["peak_rss_mib"], "baseline RSS": result["baseline_rss_mib"]},
    )


def run(ctx: Context) -> StageResult:
    """Measure the export stage against the bare scan on the benchmark graph."""
    server = ctx.ensure_graph()
    settings = server.settings()
    env = {"BENCH_NEO4J_PASSWORD": settings.password or ""}
    result = StageResult(
        stage="export", dataset=ctx.dataset.name, ratings=ctx.dataset.ratings, primary="edges/s",
        units={"edges/s": "", "seconds": "s", "peak RSS": "MiB", "baseline RSS": "MiB"},
    )
    pythons: list[tuple[str, str | None]] = [("", None)]
    if ctx.rust_python:
        pythons.append((", rust-ext", ctx.rust_python))
    for suffix, python in pythons:
        for fetch in ctx.fetch_sizes:
            args = {"uri": settings.uri, "fetch_size": fetch}
            peer = run_in_child("bench.export:child_bare_scan", args, python=python, env=env)
            per_user = run_in_child("bench.export:child_bare_scan", {**args, "per_user": True}, python=python, env=env)
            ours = run_in_child("bench.export:child_export", args, python=python, env=env)
            for name, other in (("bare scan", peer), ("per-user scan", per_user)):
                if ours["edges"] != other["edges"]:
                    logger.warning("export read %s edges, the %s %s", ours["edges"], name, other["edges"])
            result.rows.append(_row(f"bare driver scan{suffix}, per rating, fetch {fetch}", peer,
                                    peer=not result.peers()))
            result.rows.append(_row(f"bare driver scan{suffix}, per user, fetch {fetch}", per_user))
            result.rows.append(_row(
                f"movierec export{suffix}, fetch {fetch}", ours,
                note=f"ratings stream {ours['ratings_seconds']:.2f} s of {ours['seconds']:.2f} s; "
                     f"{ours['users']:,} users, {ours['movies']:,} movies",
            ))
    # targets on the largest fetch size (movierec's default is 10,000) of the fastest interpreter measured
    by_name = {row.name: row for row in result.rows}
    best_suffix = ", rust-ext" if ctx.rust_python else ""
    fetch = max(ctx.fetch_sizes)
    ours_row = by_name[f"movierec export{best_suffix}, fetch {fetch}"]
    peer_row = by_name[f"bare driver scan{best_suffix}, per rating, fetch {fetch}"]
    eps = ours_row.figures["edges/s"]
    result.targets.append(Target(f"export edges/s{best_suffix}", eps, "≥ 1,000,000",
                                 None if eps is None else eps >= 1_000_000))
    r = ratio(ours_row.figures["seconds"], peer_row.figures["seconds"])
    result.targets.append(Target(f"export time ÷ bare scan time{best_suffix}", r, "≤ 1.5",
                                 None if r is None else r <= 1.5))
    result.extra["server"] = {"peak_rss_mib": server.peak_rss_mib()}
    return result
