"""movierec: a graph-database-backed movie recommender (MovieLens → Neo4j → PyG GNN → Neo4j → Cypher)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("movierec")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0"
