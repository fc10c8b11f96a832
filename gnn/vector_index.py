"""The cosine vector indexes on ``User.embedding`` / ``Movie.embedding`` (``cypher/*_vector_indexes.cypher``)."""

from __future__ import annotations

import logging

from movierec import cypher
from movierec.core.db import Graph
from movierec.core.errors import WritebackError
from movierec.cypher.admin import await_indexes

logger = logging.getLogger(__name__)

INDEX_TIMEOUT_S = 300
MAX_DIMENSIONS = 4_096  # Neo4j vector index limit


def ensure_vector_indexes(graph: Graph, dimensions: int, timeout_s: int = INDEX_TIMEOUT_S) -> None:
    """Create the cosine vector indexes for ``dimensions``, recreating ones of other dimensions, and wait.

    Args:
        graph (Graph): The database.
        dimensions (int): Embedding size.
        timeout_s (int): Seconds to wait for the indexes to come ONLINE. (default: ``300``)

    Raises:
        WritebackError: If the indexes are not ONLINE in time.
    """
    existing = {r["name"]: r["dimensions"] for r in graph.read(cypher.load("show_vector_indexes"))}
    if any(d != dimensions for d in existing.values()):
        logger.info("vector indexes have dimensions %s; recreating them for %s", existing, dimensions)
        for statement in cypher.statements("drop_vector_indexes"):
            graph.write(statement)
    for statement in cypher.statements("create_vector_indexes"):
        graph.write(statement, dimensions=dimensions)
    await_indexes(graph, timeout_s)
    states = {r["name"]: r["state"] for r in graph.read(cypher.load("show_vector_indexes"))}
    if set(states.values()) != {"ONLINE"} or len(states) != 2:
        raise WritebackError(f"vector indexes not ONLINE after {timeout_s} s: {states}")
