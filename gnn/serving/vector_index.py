"""The cosine vector index on ``Movie.embedding`` (``cypher/*_vector_index*.cypher``).

``User.embedding`` is written but not indexed: no query looks users up by vector. An index on it that an earlier
version created is dropped.
"""

from __future__ import annotations

import logging

from movierec import cypher
from movierec.core.db import Graph
from movierec.core.errors import WritebackError
from movierec.cypher.admin import await_indexes

logger = logging.getLogger(__name__)

INDEX_TIMEOUT_S = 300
MAX_DIMENSIONS = 4_096  # Neo4j vector index limit
MOVIE_INDEX = "movie_embedding"
USER_INDEX = "user_embedding"  # created by earlier versions; dropped
HNSW_M = 32  # links per node, as create_vector_indexes.cypher builds it; an index built otherwise is rebuilt


def ensure_vector_indexes(graph: Graph, dimensions: int, timeout_s: int = INDEX_TIMEOUT_S) -> None:
    """Create the cosine vector index on ``Movie.embedding`` for ``dimensions``, recreating one of other dimensions
    or HNSW settings, drop an earlier version's ``user_embedding`` index, and wait until the index is ONLINE.

    Args:
        graph (Graph): The database.
        dimensions (int): Embedding size.
        timeout_s (int): Seconds to wait for the index to come ONLINE. (default: ``300``)

    Raises:
        WritebackError: If the index is not ONLINE in time.
    """
    existing = {r["name"]: (r["dimensions"], r["m"]) for r in graph.read(cypher.load("show_vector_indexes"))}
    if USER_INDEX in existing:
        logger.info("dropping the %s vector index: no query reads it", USER_INDEX)
        graph.write(cypher.load("drop_user_vector_index"))
    if existing.get(MOVIE_INDEX, (dimensions, HNSW_M)) != (dimensions, HNSW_M):
        logger.info("vector index %s has (dimensions, m) %s; recreating it for (%s, %s)", MOVIE_INDEX,
                    existing[MOVIE_INDEX], dimensions, HNSW_M)
        graph.write(cypher.load("drop_vector_indexes"))
    for statement in cypher.statements("create_vector_indexes"):
        graph.write(statement, dimensions=dimensions)
    await_indexes(graph, timeout_s)
    states = {r["name"]: r["state"] for r in graph.read(cypher.load("show_vector_indexes"))}
    if states != {MOVIE_INDEX: "ONLINE"}:
        raise WritebackError(f"vector index not ONLINE after {timeout_s} s: {states}")
