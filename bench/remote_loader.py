"""PyG's LinkLoader from Neo4j (the remote backend) against the same loader over the export: ``python -m
bench.remote_loader [--batches N] [--batch-size B] [--ratings local|remote] [--json OUT]``.

Against the Neo4j of ``NEO4J_URI`` (an ingested graph), it measures:

1. **time to the first batch**: the remote stores built (the topology read with the export's fast path) and one
   batch drawn, against ``movierec export``'s read of the whole graph (:func:`movierec.gnn.data.export.export_graph`);
2. **per batch**: ``--batches`` batches of ``--batch-size`` rating edges, binary negatives, ``num_neighbors``
   ``[10, 5]``, each batch's movie features and its message edges' ratings fetched (the remote path from Neo4j
   through the cache, the in-memory path by indexing): mean milliseconds per batch, both with the same sampler and
   the same seed, in the same process. ``--ratings remote`` fetches the message edges' ratings from Neo4j per
   batch (through the cache) instead of reading them with the topology; ``--no-prefetch`` fetches movie features
   batch by batch instead of all at once when the stores are built.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import time
from pathlib import Path
from typing import Any

import torch
from torch_geometric.loader import LinkLoader

from movierec.core.db import connect
from movierec.core.settings import Neo4jSettings
from movierec.gnn.data.export import export_graph
from movierec.gnn.data.hetero import MOVIE, RATES
from movierec.gnn.data.remote import Neo4jFeatureStore, Neo4jGraphStore, Neo4jNeighborSampler


def _time_batches(loader: LinkLoader, batches: int, ratings: Any) -> tuple[float, list[float]]:
    """Seconds to the first batch and milliseconds of each later one (features and message ratings touched)."""
    times, first = [], 0.0
    started = time.perf_counter()
    for i, batch in enumerate(loader):
        batch[MOVIE].x.sum()
        ratings(batch[RATES].e_id)
        now = time.perf_counter()
        if i == 0:
            first = now - started
        else:
            times.append((now - started) * 1000)
        started = now
        if i >= batches:
            break
    return first, times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=50)
    parser.add_argument("--batch-size", type=int, default=1024)
    parser.add_argument("--ratings", choices=["local", "remote"], default="local")
    parser.add_argument("--no-prefetch", action="store_true", help="fetch movie features batch by batch")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    logging.getLogger("neo4j").setLevel(logging.ERROR)  # the server's notes on a fresh store are not results
    out: dict[str, Any] = {"batch_size": args.batch_size, "num_neighbors": [10, 5], "ratings": args.ratings,
                           "prefetch_movies": not args.no_prefetch}
    with connect(Neo4jSettings.resolve()) as graph:
        started = time.perf_counter()
        gs = Neo4jGraphStore(graph, ratings=args.ratings)
        fs = Neo4jFeatureStore(graph, gs, prefetch=not args.no_prefetch)
        sampler = Neo4jNeighborSampler(gs, [10, 5])
        out["stores_s"] = time.perf_counter() - started
        edges = torch.stack(gs[RATES, "coo"])
        torch.manual_seed(0)
        remote = LinkLoader((fs, gs), link_sampler=sampler, edge_label_index=(RATES, edges), neg_sampling="binary",
                            batch_size=args.batch_size, shuffle=True)
        first, remote_ms = _time_batches(remote, args.batches, lambda e: fs[RATES, "edge_label", e])
        out["remote_first_batch_s"] = out["stores_s"] + first
        started = time.perf_counter()
        data, _ = export_graph(graph)
        out["export_s"] = time.perf_counter() - started
        del data[MOVIE].title  # a list: PyG's loaders cannot slice it
        memory_sampler = Neo4jNeighborSampler(data, [10, 5])
        torch.manual_seed(0)
        memory = LinkLoader(data, link_sampler=memory_sampler, edge_label_index=(RATES, edges),
                            neg_sampling="binary", batch_size=args.batch_size, shuffle=True)
        _, memory_ms = _time_batches(memory, args.batches, lambda e: data[RATES].edge_label[e])
    out.update(edges=int(edges.size(1)), remote_batch_ms=statistics.fmean(remote_ms),
               memory_batch_ms=statistics.fmean(memory_ms), cache_hit_rate=fs.edge_cache.hits / max(
                   1, fs.edge_cache.hits + fs.edge_cache.misses))
    out["ratio"] = out["remote_batch_ms"] / out["memory_batch_ms"]
    out["first_batch_over_export"] = out["remote_first_batch_s"] / out["export_s"]
    print(f"{out['edges']:,} ratings ({args.ratings}): per batch remote {out['remote_batch_ms']:.1f} ms, in memory "
          f"{out['memory_batch_ms']:.1f} ms ({out['ratio']:.2f}x); first batch {out['remote_first_batch_s']:.1f} s "
          f"against the export's {out['export_s']:.1f} s ({out['first_batch_over_export']:.2f}x); edge cache hits "
          f"{out['cache_hit_rate']:.0%}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
