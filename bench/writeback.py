"""Stage ``writeback``: top-20 for every user, all embeddings and the vector indexes.

- **movierec writeback** (:func:`movierec.gnn.serving.writeback.write_back`) of a freshly trained run
  (``lightgcn``, full-batch, ``--epochs`` epochs: the model's quality does not change the
  write volume). Rows = RECOMMENDED + SIMILAR relationships + embeddings (every row the call
  writes); rows/s over the whole call (scoring, staging, atomic switch, vector indexes, cleanup)
  and over its writing phase.
- **plain UNWIND writes** (the peer): the same rows (RECOMMENDED, SIMILAR and embeddings, read back
  from the graph) written with one ``UNWIND $rows ... CREATE`` / ``SET`` per batch of 10,000 / 2,000, no staging, no run
  tagging, no switch, no index; removed again afterwards.

The issue's target compares writeback rows/s with the ingest's ratings/s: the ingest figure
of the same harness run (``all``) or of the ingest that loaded the graph.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from bench import cypher as bench_cypher
from bench.child import run_in_child
from bench.context import Context
from bench.report import Row, StageResult, Target, ratio
from bench.train import exported_graph

logger = logging.getLogger(__name__)

K = 20
PEER_BATCH = 10_000
PEER_EMBEDDING_BATCH = 2_000


def _connect(uri: str) -> Any:
    from movierec.core.db import connect
    from movierec.core.settings import Neo4jSettings

    return connect(Neo4jSettings(uri=uri, password=os.environ["BENCH_NEO4J_PASSWORD"]))


def child_train_run(data_path: str, runs_dir: str, epochs: int) -> dict[str, Any]:
    """In a child: train the run to write back (lightgcn, full-batch) and save its directory."""
    from movierec.gnn.data.export import load_heterodata
    from movierec.gnn.data.split import SplitConfig, split_edges
    from movierec.gnn.models.registry import config_for
    from movierec.gnn.training.run import train_run

    data = load_heterodata(data_path)
    split = split_edges(data, SplitConfig())
    config = config_for("lightgcn", epochs=epochs, patience=epochs + 1, device="cpu",
                                   batch_size=len(split.train), rating_head_epochs=20)
    started = time.perf_counter()
    run = train_run(data, split, config, runs_dir=runs_dir)
    return {"path": str(run.path), "run_id": run.run_id, "seconds": time.perf_counter() - started}


def child_writeback(uri: str, run_path: str) -> dict[str, Any]:
    """In a child: movierec's writeback of the run."""
    from movierec.gnn.serving.writeback import write_back
    from movierec.gnn.training.run_dir import load_run

    run = load_run(run_path)
    with _connect(uri) as graph:
        started = time.perf_counter()
        result = write_back(graph, run, k=K)
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "users": result.users, "recommendations": result.recommendations,
            "embeddings": result.embeddings, "similar": result.similar, "dimensions": result.dimensions,
            "scoring_s": result.scoring_s, "writing_s": result.writing_s, "total_s": result.total_s,
            "deleted": result.deleted, "steps": result.step_seconds}


def child_peer(uri: str, run_path: str) -> dict[str, Any]:
    """In a child: the same rows written plainly (timed), then removed (not timed)."""
    from movierec.gnn.training.run_dir import load_run

    run = load_run(run_path)
    user_emb, movie_emb = run.embeddings()
    with _connect(uri) as graph:
        rows = [dict(r) for r in graph.stream(bench_cypher.load("read_recommendations"), runId=run.run_id)]
        similar = [dict(r) for r in graph.stream(bench_cypher.load("read_similar"), runId=run.run_id)]
        users = [{"id": uid, "e": user_emb[i].tolist()} for i, uid in enumerate(run.user_ids)]
        movies = [{"id": mid, "e": movie_emb[i].tolist()} for i, mid in enumerate(run.movie_ids)]
        started = time.perf_counter()
        graph.write_batches(bench_cypher.load("peer_write_user_embeddings"), users, batch_size=PEER_EMBEDDING_BATCH)
        graph.write_batches(bench_cypher.load("peer_write_movie_embeddings"), movies,
                            batch_size=PEER_EMBEDDING_BATCH)
        graph.write_batches(bench_cypher.load("peer_write_recommendations"), rows, batch_size=PEER_BATCH)
        graph.write_batches(bench_cypher.load("peer_write_similar"), similar, batch_size=PEER_BATCH)
        seconds = time.perf_counter() - started
        graph.run_autocommit(bench_cypher.load("peer_cleanup"), batch=PEER_BATCH)
        graph.run_autocommit(bench_cypher.load("peer_cleanup_embeddings"), batch=PEER_BATCH)
    return {"seconds": seconds, "recommendations": len(rows), "similar": len(similar),
            "embeddings": len(users) + len(movies)}


def run(ctx: Context) -> StageResult:
    """Measure the writeback on the benchmark graph."""
    settings, env, data_path = exported_graph(ctx)
    runs_dir = ctx.work_dir("runs")
    trained = run_in_child("bench.writeback:child_train_run",
                           {"data_path": str(data_path), "runs_dir": str(runs_dir), "epochs": ctx.epochs})
    ours = run_in_child("bench.writeback:child_writeback", {"uri": settings.uri, "run_path": trained["path"]},
                        env=env)
    peer = run_in_child("bench.writeback:child_peer", {"uri": settings.uri, "run_path": trained["path"]}, env=env)
    rows_ours = ours["recommendations"] + ours["similar"] + ours["embeddings"]
    rows_peer = peer["recommendations"] + peer["similar"] + peer["embeddings"]
    result = StageResult(
        stage="writeback", dataset=ctx.dataset.name, ratings=ctx.dataset.ratings, primary="rows/s",
        units={"rows/s": "", "seconds": "s", "writing rows/s": "", "rows": "", "peak RSS": "MiB"},
    )
    result.rows.append(Row(
        name="plain UNWIND writes", peer=True,
        figures={"rows/s": rows_peer / peer["seconds"], "seconds": peer["seconds"],
                 "writing rows/s": rows_peer / peer["seconds"], "rows": rows_peer, "peak RSS": peer["peak_rss_mib"]},
        note="same rows, CREATE/SET per batch; no staging, switch or vector index",
    ))
    result.rows.append(Row(
        name=f"movierec writeback (top-{K})",
        figures={"rows/s": rows_ours / ours["total_s"], "seconds": ours["total_s"],
                 "writing rows/s": rows_ours / ours["writing_s"] if ours["writing_s"] else None,
                 "rows": rows_ours, "peak RSS": ours["peak_rss_mib"]},
        note=(f"{ours['users']:,} users x {K} = {ours['recommendations']:,} RECOMMENDED + "
              f"{ours['similar']:,} SIMILAR + {ours['embeddings']:,} embeddings ({ours['dimensions']} dims); "
              f"scoring {ours['scoring_s']:.2f} s; "
              + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in ours["steps"].items())),
    ))
    ingest_rate = ctx.state.get("ingest_ratings_per_s")
    if ingest_rate is None:
        loaded = ctx.loaded()
        if loaded.get("seconds"):
            ingest_rate = ctx.dataset.ratings / loaded["seconds"]
    if ingest_rate is not None:
        result.rows.append(Row(name="movierec ingest (same graph)", peer=True,
                               figures={"rows/s": ingest_rate, "seconds": None, "writing rows/s": None, "rows": None,
                                        "peak RSS": None},
                               note="ratings/s of the ingest that loaded this graph"))
        r = ratio(rows_ours / ours["total_s"], ingest_rate)
        result.targets.append(Target("writeback rows/s ÷ ingest ratings/s", r, "≥ 0.5",
                                     None if r is None else r >= 0.5))
    result.extra["run"] = trained
    result.extra["writeback"] = ours
    return result
