"""Database-wide maintenance: wait for indexes, and empty a database (tests, benchmarks).

Example:
    >>> with connect(settings) as graph:      # doctest: +SKIP
    ...     wipe(graph)
"""

from __future__ import annotations

from movierec import cypher
from movierec.core.db import Graph

INDEX_TIMEOUT_S = 300


def create_writeback_indexes(graph: Graph) -> None:
    """Create the indexes runs and rating changes are looked up by (``cypher/create_writeback_indexes.cypher``);
    idempotent, and without waiting for Neo4j to fill them."""
    for statement in cypher.statements("create_writeback_indexes"):
        graph.write(statement)


def await_indexes(graph: Graph, timeout_s: int = INDEX_TIMEOUT_S) -> None:
    """Wait until every index is ONLINE (``cypher/await_indexes.cypher``)."""
    graph.write(cypher.load("await_indexes"), timeout=timeout_s)


def wipe(graph: Graph) -> None:
    """Delete every node, relationship, constraint and index (except the built-in token lookups).

    Constraint and index names are read from the server and backtick-quoted (with backticks doubled):
    ``DROP`` takes no parameter for the name.
    """
    for statement in cypher.statements("delete_everything"):
        graph.run_autocommit(statement)
    for statement in cypher.statements("show_schema"):  # constraints first: they own indexes
        for record in graph.read(statement):
            name = record["name"].replace("`", "``")
            graph.write(f"DROP {record['kind']} `{name}` IF EXISTS")
