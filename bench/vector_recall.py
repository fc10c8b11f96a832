"""How well the movie vector index answers ``similar --by embedding``: ``python -m bench.vector_recall``.

Against the Neo4j of ``NEO4J_URI`` (a graph with an active run written back), for up to ``--movies`` (500) movies
whose embedding no other movie shares (movies without training ratings share one vector, and ties make any top 10
arbitrary), it compares the top 10 of ``cypher/similar_by_embedding.cypher`` with the exact cosine top 10 among
those movies (recall@10) and times the query (p50 / p99). ``--m`` / ``--ef`` rebuild the index with those HNSW
settings first (links per node, candidates while building); without them the index is measured as it is.

The README's figures ("Neo4j's current line"): the default run of ``./scripts/run.sh`` written back to 5.26.30 and
to 2026.08.1, each measured with ``--m 16 --ef 100`` (Neo4j's defaults) and ``--m 32 --ef 400`` (the product's).
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time

import torch

from movierec import cypher
from movierec.core.db import connect
from movierec.core.settings import Neo4jSettings

REBUILD = ("CREATE VECTOR INDEX movie_embedding FOR (m:Movie) ON m.embedding OPTIONS {indexConfig: "
           "{`vector.dimensions`: $dimensions, `vector.similarity_function`: 'cosine', `vector.hnsw.m`: $m, "
           "`vector.hnsw.ef_construction`: $ef}}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--m", type=int)
    parser.add_argument("--ef", type=int)
    parser.add_argument("--movies", type=int, default=500)
    args = parser.parse_args()
    logging.getLogger("neo4j").setLevel(logging.ERROR)  # the server's notes on a fresh store are not results
    query = cypher.load("similar_by_embedding")
    with connect(Neo4jSettings.resolve()) as graph:
        version = graph.read("CALL dbms.components() YIELD versions RETURN versions[0] AS v")[0]["v"]
        rows = graph.read("MATCH (m:Movie) WHERE m.embedding IS NOT NULL RETURN m.movieId AS m, m.embedding AS e "
                          "ORDER BY m")
        ids = [r["m"] for r in rows]
        vectors = torch.tensor([r["e"] for r in rows])
        build_s = None
        if args.m is not None and args.ef is not None:
            started = time.perf_counter()
            graph.write("DROP INDEX movie_embedding IF EXISTS")
            graph.write(REBUILD, dimensions=vectors.size(1), m=args.m, ef=args.ef)
            graph.run_autocommit("CALL db.awaitIndexes(600)")
            build_s = time.perf_counter() - started
        unit = torch.nn.functional.normalize(vectors, dim=1)
        _, inverse, counts = torch.unique(vectors, dim=0, return_inverse=True, return_counts=True)
        distinct = counts[inverse] == 1
        position = {m: i for i, m in enumerate(ids)}
        found, ms = 0, []
        measured = [i for i in range(len(ids)) if distinct[i]][: args.movies]
        for i in measured:
            cosine = (unit @ unit[i]).masked_fill(~distinct, -2.0)
            cosine[i] = -2.0
            exact = {ids[j] for j in torch.topk(cosine, 10).indices.tolist()}
            started = time.perf_counter()
            got = graph.read(query, movieId=ids[i], k=30)
            ms.append((time.perf_counter() - started) * 1000)
            top = [r["movieId"] for r in got if distinct[position[r["movieId"]]]][:10]
            found += len(exact & set(top))
        ms.sort()
        built = f" built in {build_s:.1f} s" if build_s is not None else ""
        print(f"Neo4j {version}: {len(ids):,} movies with an embedding, {int((~distinct).sum()):,} sharing theirs; "
              f"index m={args.m or 'as is'} ef_construction={args.ef or 'as is'}{built}: recall@10 "
              f"{found / (10 * len(measured)):.3f} over {len(measured)} movies, p50 {statistics.median(ms):.2f} ms, "
              f"p99 {ms[int(0.99 * len(ms))]:.2f} ms")


if __name__ == "__main__":
    main()
