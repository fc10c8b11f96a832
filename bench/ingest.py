"""Stage ``ingest``: movierec's loader against two peers, each into an empty store.

- **neo4j-admin database import** (offline; the practical ceiling): the release converted to
  the tool's CSV format (conversion timed but not counted), the tool's run, then the
  uniqueness constraints created on the imported store (counted: the graph is not usable
  by movierec without them).
- **LOAD CSV ... CALL { } IN TRANSACTIONS**: the release's own CSV files copied into the
  server's import folder, loaded with the same idempotent MERGE semantics as movierec
  (``bench/cypher/load_csv_*.cypher``), constraints first.
- **bare CREATE of the ratings** (the floor of any online load): users and movies created as bare nodes, then
  every rating as one ``MATCH`` user, ``MATCH`` movie, ``CREATE`` relationship (``bench/cypher/bare_create_*``),
  10,000 a transaction, 3 writers, no validation, no locks of its own, not idempotent. Its figure is the ratings
  phase alone: what the server takes to create the ``RATED`` relationships online, against movierec's ratings
  phase.
- **movierec ingest** (:func:`movierec.ingest.load.ingest_release`): read + validate + write, online and
  idempotent; then the same ingest again on the loaded graph (the idempotent rerun).

The figure is ratings per second of the whole load (all files, constraints included). Every
variant's node and relationship counts are checked against each other. The graph movierec
loaded stays in the ``graph`` server for the later stages.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import time
from pathlib import Path
from typing import Any

from bench import cypher as bench_cypher
from bench.admin_import import convert, run_import, set_initial_password
from bench.child import ChildError, run_in_child
from bench.context import Context
from bench.report import Row, StageResult, Target, ratio
from bench.server import BenchServer
from movierec import cypher
from movierec.core import schema
from movierec.core.db import Graph, count_by_label, count_by_type
from movierec.cypher.admin import await_indexes

logger = logging.getLogger(__name__)

LABELS = [schema.USER, schema.MOVIE, schema.GENRE]
TYPES = [schema.RATED, schema.TAGGED, schema.IN_GENRE]
RERUN_MAX_RATINGS = 200_000  # the idempotent rerun doubles the stage's time: only up to this size


def _counts(graph: Graph) -> dict[str, int]:
    return {**count_by_label(graph, LABELS), **count_by_type(graph, TYPES)}


def _constraints(graph: Graph) -> float:
    started = time.perf_counter()
    for statement in cypher.statements("create_constraints"):
        graph.write(statement)
    await_indexes(graph, 600)
    return time.perf_counter() - started


def measure_admin_import(ctx: Context) -> tuple[Row, dict[str, Any]]:
    """Convert, import offline, start, create constraints, count."""
    server = BenchServer(ctx.server, "admin")
    server.remove()
    assert server.local is not None
    work = ctx.work_dir("admin")
    started = time.perf_counter()
    files = convert(ctx.dataset.path, work / "csv")
    convert_seconds = time.perf_counter() - started
    tool = run_import(server.local, files)
    password = secrets.token_urlsafe(18)
    set_initial_password(server.local, password)
    server.local.start(timeout=600)
    try:
        with server.connect() as graph:
            constraint_seconds = _constraints(graph)
            counts = _counts(graph)
    finally:
        server.remove()
    seconds = tool["seconds"] + constraint_seconds
    row = Row(
        name="neo4j-admin import", peer=True,
        figures={"ratings/s": ctx.dataset.ratings / seconds, "seconds": seconds,
                 "ratings phase s": None, "server peak RSS": None, "client peak RSS": None},
        note=(f"tool {tool['seconds']:.1f} s (JVM start included) + constraints {constraint_seconds:.1f} s; "
              f"CSV conversion {convert_seconds:.1f} s not counted; offline, not idempotent"),
    )
    return row, counts


def measure_load_csv(ctx: Context) -> tuple[Row, dict[str, Any]]:
    """LOAD CSV of the release's files into a fresh server."""
    server = BenchServer(ctx.server, "loadcsv")
    server.start_fresh()
    try:
        import_dir = server.import_dir()
        names = [n for n in ("movies", "links", "ratings", "tags") if (ctx.dataset.path / f"{n}.csv").exists()]
        if import_dir is not None:
            for name in names:
                shutil.copy(ctx.dataset.path / f"{name}.csv", import_dir / f"{name}.csv")
            urls = {name: f"file:///{name}.csv" for name in names}
        else:
            raise RuntimeError("the LOAD CSV peer needs the harness's own server (unset NEO4J_URI)")
        phases: dict[str, float] = {}
        with server.connect() as graph:
            started = time.perf_counter()
            phases["constraints"] = _constraints(graph)
            for name in names:
                t0 = time.perf_counter()
                graph.run_autocommit(bench_cypher.load(f"load_csv_{name}"), url=urls[name], batch=ctx.batch_size)
                phases[name] = time.perf_counter() - t0
            seconds = time.perf_counter() - started
            counts = _counts(graph)
        peak = server.peak_rss_mib()
    finally:
        server.remove()
    row = Row(
        name="LOAD CSV IN TRANSACTIONS", peer=True,
        figures={"ratings/s": ctx.dataset.ratings / seconds, "seconds": seconds,
                 "ratings phase s": phases.get("ratings"), "server peak RSS": peak, "client peak RSS": None},
        note="phases " + ", ".join(f"{k} {v:.1f} s" for k, v in phases.items()),
    )
    return row, counts


BARE_WORKERS = 3


def child_bare_create(uri: str, path: str, batch_size: int) -> dict[str, Any]:
    """In a child: the release's users and movies as bare nodes, then its ratings as bare CREATEs (timed)."""
    from movierec.core.db import connect
    from movierec.core.settings import Neo4jSettings
    from movierec.ingest.movielens import read_release

    release = read_release(Path(path))
    ratings = release.ratings.sort_values(["userId", "movieId"])
    with connect(Neo4jSettings(uri=uri, password=os.environ["BENCH_NEO4J_PASSWORD"])) as graph:
        _constraints(graph)
        for name, ids in (("bare_create_users", release.users["userId"]), ("bare_create_movies",
                                                                            release.movies["movieId"])):
            graph.write_batches(bench_cypher.load(name), ({"id": int(i)} for i in ids), batch_size=batch_size)
        rows = ({"u": u, "m": m, "r": r, "t": ts} for u, m, r, ts in zip(
            ratings["userId"].tolist(), ratings["movieId"].tolist(), ratings["rating"].tolist(),
            ratings["timestamp"].tolist(), strict=True))
        started = time.perf_counter()
        written = graph.write_batches(bench_cypher.load("bare_create_ratings"), rows, batch_size=batch_size,
                                      workers=BARE_WORKERS)
        seconds = time.perf_counter() - started
    return {"ratings": written, "seconds": seconds}


def measure_bare_create(ctx: Context) -> Row:
    """The ratings as bare CREATEs into a fresh server: the floor of an online load's ratings phase."""
    server = BenchServer(ctx.server, "bare")
    server.start_fresh()
    try:
        settings = server.settings()
        out = run_in_child("bench.ingest:child_bare_create", {"uri": settings.uri, "path": str(ctx.dataset.path),
                                                              "batch_size": ctx.batch_size},
                           env={"BENCH_NEO4J_PASSWORD": settings.password or ""}, timeout=ctx.time_limit)
        peak = server.peak_rss_mib()
    finally:
        server.remove()
    return Row(
        name="bare CREATE of the ratings", peer=True,
        figures={"ratings/s": None, "seconds": None, "ratings phase s": out["seconds"], "server peak RSS": peak,
                 "client peak RSS": out["peak_rss_mib"]},
        note=(f"the ratings phase alone: {out['ratings']:,} x (MATCH user, MATCH movie, CREATE) in "
              f"{out['seconds']:.1f} s = {out['ratings'] / out['seconds']:,.0f}/s, {BARE_WORKERS} writers; "
              "no validation, no locks, not idempotent"),
    )


class _FileProgress:
    """A progress bar that appends ``{phase, done, t}`` lines to a file (at most one a second)."""

    def __init__(self, path: Path, phase: str, started: float) -> None:
        self.path, self.phase, self.started = path, phase, started
        self.done, self.last = 0, 0.0

    def update(self, n: int = 1) -> bool | None:
        self.done += n
        now = time.perf_counter()
        if now - self.last >= 1.0:
            self.last = now
            self._write(now)
        return None

    def close(self) -> None:
        self._write(time.perf_counter())

    def _write(self, now: float) -> None:
        with open(self.path, "a") as f:
            f.write(json.dumps({"phase": self.phase, "done": self.done, "t": now - self.started}) + "\n")


def child_ingest(uri: str, path: str, batch_size: int, progress_file: str) -> dict[str, Any]:
    """In a child: movierec's ingest, progress appended to ``progress_file`` (read if the child is killed)."""
    from movierec.core.db import connect
    from movierec.core.settings import Neo4jSettings
    from movierec.ingest.load import ingest_release

    started = time.perf_counter()

    def progress(phase: str, total: int) -> _FileProgress:
        return _FileProgress(Path(progress_file), phase, started)

    with connect(Neo4jSettings(uri=uri, password=os.environ["BENCH_NEO4J_PASSWORD"])) as graph:
        summary = ingest_release(graph, Path(path), batch_size=batch_size, progress=progress)
    return {"seconds": summary.seconds, "phase_seconds": summary.phase_seconds}


def _partial(progress_file: Path) -> dict[str, Any]:
    """The last progress line per phase of a killed ingest."""
    phases: dict[str, Any] = {}
    try:
        for line in progress_file.read_text().splitlines():
            record = json.loads(line)
            phases[record["phase"]] = record
    except (OSError, ValueError):
        pass
    return phases


def _ingest_row(ctx: Context, name: str, server: BenchServer, note: str = "") -> tuple[Row, float | None]:
    settings = server.settings()
    progress_file = ctx.work_dir("graph") / f"ingest-progress-{time.time():.0f}.jsonl"
    kwargs = {"uri": settings.uri, "path": str(ctx.dataset.path), "batch_size": ctx.batch_size,
              "progress_file": str(progress_file)}
    try:
        out = run_in_child("bench.ingest:child_ingest", kwargs, env={"BENCH_NEO4J_PASSWORD": settings.password or ""},
                           timeout=ctx.time_limit)
    except ChildError as e:
        phases = _partial(progress_file)
        ratings = phases.get("ratings", {})
        rate = ratings["done"] / ratings["t"] if ratings.get("t") else None
        return Row(name=name, figures={"ratings/s": None, "seconds": None, "ratings phase s": None,
                                       "server peak RSS": server.peak_rss_mib(), "client peak RSS": None},
                   note=(f"DID NOT FINISH: {str(e).splitlines()[0]}; progress at the end: "
                         + ", ".join(f"{k} {v['done']:,} rows at {v['t']:.0f} s" for k, v in phases.items())
                         + (f" (ratings so far {rate:,.0f}/s from the start of the load)" if rate else ""))), None
    seconds = out["seconds"]
    phase_seconds = out["phase_seconds"]
    return Row(
        name=name,
        figures={"ratings/s": ctx.dataset.ratings / seconds, "seconds": seconds,
                 "ratings phase s": phase_seconds.get("ratings"), "server peak RSS": server.peak_rss_mib(),
                 "client peak RSS": out["peak_rss_mib"]},
        note=(note + "; " if note else "") + "phases " + ", ".join(f"{k} {v:.1f} s" for k, v in phase_seconds.items()),
    ), seconds


def measure_movierec(ctx: Context) -> tuple[list[Row], dict[str, Any]]:
    """movierec's ingest into a fresh graph server (kept running), then the same ingest again."""
    server = ctx.graph_server()
    server.start_fresh()
    rows = []
    row, seconds = _ingest_row(ctx, "movierec ingest", server)
    rows.append(row)
    with server.connect() as graph:
        counts = _counts(graph)
    if seconds is None:
        return rows, counts
    ctx.mark_loaded({"seconds": seconds})
    ctx.state["ingest_ratings_per_s"] = ctx.dataset.ratings / seconds
    if ctx.dataset.ratings <= RERUN_MAX_RATINGS:
        again, _ = _ingest_row(ctx, "movierec ingest, rerun", server, note="same release again on the loaded graph")
        with server.connect() as graph:
            again.note += f"; counts unchanged: {_counts(graph) == counts}"
        rows.append(again)
    return rows, counts


def run(ctx: Context) -> StageResult:
    """Measure the ingest stage and its peers on ``ctx.dataset``."""
    result = StageResult(
        stage="ingest", dataset=ctx.dataset.name, ratings=ctx.dataset.ratings, primary="ratings/s",
        units={"ratings/s": "", "seconds": "s", "ratings phase s": "s", "server peak RSS": "MiB",
               "client peak RSS": "MiB"},
    )
    counts: dict[str, dict[str, Any]] = {}
    ctx.graph_server().stop()  # the peers' servers use the same ports, one server at a time
    if ctx.graph_server().external:
        logger.warning("NEO4J_URI is set: the offline and LOAD CSV peers need the harness's own server; skipped")
    else:
        if "admin" in ctx.peers:
            admin, counts["neo4j-admin import"] = measure_admin_import(ctx)
            result.rows.append(admin)
        if "loadcsv" in ctx.peers:
            load_csv, counts["LOAD CSV"] = measure_load_csv(ctx)
            result.rows.append(load_csv)
        if "bare" in ctx.peers:
            result.rows.append(measure_bare_create(ctx))
    ours, counts["movierec"] = measure_movierec(ctx)
    result.rows = ours + result.rows
    result.extra["counts"] = counts
    result.extra["counts_agree"] = len({tuple(sorted(c.items())) for c in counts.values()}) == 1
    mine = ours[0].figures["ratings/s"]
    if mine is None:
        return result
    admin_row, load_row = result.row("neo4j-admin import"), result.row("LOAD CSV IN TRANSACTIONS")
    if admin_row is not None:
        r = ratio(mine, admin_row.figures["ratings/s"])
        result.targets.append(Target("ingest ÷ neo4j-admin import", r, "≥ 0.5", None if r is None else r >= 0.5))
    if load_row is not None:
        r = ratio(mine, load_row.figures["ratings/s"])
        result.targets.append(Target("ingest ÷ LOAD CSV", r, "≥ 2", None if r is None else r >= 2))
    bare_row = result.row("bare CREATE of the ratings")
    mine_phase = ours[0].figures["ratings phase s"]
    bare_phase = None if bare_row is None else bare_row.figures["ratings phase s"]
    if bare_phase and mine_phase:
        result.extra["ratings_phase_vs_bare_create"] = bare_phase / mine_phase  # > 1: movierec's is faster
    return result
