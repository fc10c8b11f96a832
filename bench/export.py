"""Stage ``export``: movierec's export to HeteroData against a bare driver scan.

- **movierec export** (:func:`movierec.gnn.data.export.export_graph`): nodes, the streamed ratings, the
  tensors; edges/s over the whole export.
- **bare driver scan, one record per rating** (the peer): the obvious query for the same ratings
  (``cypher/export_rating_rows.cypher``), same fetch size, each record's four values appended to
  Python lists, nothing else.
- **bare driver scan, one record per user**: export's own query (``cypher/export_ratings.cypher``,
  a user's ratings as three lists) with the lists appended, nothing else: the floor for movierec's
  query, so the gap to it is the cost of the arrays and tensors.

Each variant runs in its own child process (``bench.child``) so that its peak RSS is its
own; ``baseline RSS`` is the child's RSS after its imports (interpreter, driver, torch).
Rows carry ``, rust-ext`` when the child's driver decodes with ``neo4j-rust-ext`` (a dependency
of movierec); ``--other-python`` runs every variant again in a second interpreter (e.g. a venv
without the extension, to measure what it buys).
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from bench.child import run_in_child
from bench.context import Context
from bench.report import Row, StageResult, Target, ratio
from movierec.core.settings import Neo4jSettings

logger = logging.getLogger(__name__)


def _settings(uri: str) -> Neo4jSettings:
    return Neo4jSettings(uri=uri, password=os.environ["BENCH_NEO4J_PASSWORD"])


def child_export(uri: str, fetch_size: int) -> dict[str, Any]:
    """In a child: movierec's export of the whole graph."""
    from movierec.core.db import connect
    from movierec.gnn.data.export import export_graph

    with connect(_settings(uri)) as graph:
        started = time.perf_counter()
        data, stats = export_graph(graph, fetch_size=fetch_size)
        seconds = time.perf_counter() - started
    return {"edges": stats.edges, "seconds": seconds, "ratings_seconds": stats.seconds,
            "users": stats.users, "movies": stats.movies, "nodes": int(data.num_nodes), "rust_ext": _rust_ext()}


def child_bare_scan(uri: str, fetch_size: int, per_user: bool = False) -> dict[str, Any]:
    """In a child: the rating records into four Python lists with the bare driver."""
    from movierec import cypher
    from movierec.core.db import connect
    from movierec.gnn.data.where import SubgraphFilter

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
    return {"edges": len(ratings), "seconds": seconds, "ratings_seconds": seconds, "rust_ext": _rust_ext()}


def _rust_ext() -> bool:
    from bench.machine import rust_ext_loaded

    return rust_ext_loaded()


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
    best: dict[str, Row] = {}
    for python in (None, ctx.other_python) if ctx.other_python else (None,):
        for fetch in ctx.fetch_sizes:
            args = {"uri": settings.uri, "fetch_size": fetch}
            peer = run_in_child("bench.export:child_bare_scan", args, python=python, env=env)
            per_user = run_in_child("bench.export:child_bare_scan", {**args, "per_user": True}, python=python, env=env)
            ours = run_in_child("bench.export:child_export", args, python=python, env=env)
            for name, other in (("bare scan", peer), ("per-user scan", per_user)):
                if ours["edges"] != other["edges"]:
                    logger.warning("export read %s edges, the %s %s", ours["edges"], name, other["edges"])
            suffix = ", rust-ext" if ours.get("rust_ext") else ""
            if python is not None and any(row.name.endswith(f"{suffix}, fetch {fetch}") for row in result.rows):
                suffix += ", other python"
            peer_row = _row(f"bare driver scan{suffix}, per rating, fetch {fetch}", peer, peer=not result.peers())
            ours_row = _row(
                f"movierec export{suffix}, fetch {fetch}", ours,
                note=f"ratings stream {ours['ratings_seconds']:.2f} s of {ours['seconds']:.2f} s; "
                     f"{ours['users']:,} users, {ours['movies']:,} movies",
            )
            result.rows += [peer_row, _row(f"bare driver scan{suffix}, per user, fetch {fetch}", per_user), ours_row]
            # targets: the largest fetch size of the fastest interpreter (rust-ext when there is one)
            key = "rust" if ours.get("rust_ext") else "pure"
            if fetch == max(ctx.fetch_sizes) and (key not in best or python is None):
                best[key] = ours_row
                best[key + " peer"] = peer_row
    key = "rust" if "rust" in best else "pure"
    ours_row, peer_row = best[key], best[key + " peer"]
    label = ", rust-ext" if key == "rust" else ""
    eps = ours_row.figures["edges/s"]
    result.targets.append(Target(f"export edges/s{label}", eps, "≥ 1,000,000",
                                 None if eps is None else eps >= 1_000_000))
    r = ratio(ours_row.figures["seconds"], peer_row.figures["seconds"])
    result.targets.append(Target(f"export time ÷ bare scan time{label}", r, "≤ 1.5",
                                 None if r is None else r <= 1.5))
    result.extra["server"] = {"peak_rss_mib": server.peak_rss_mib()}
    return result
