"""Movies with no place in the active run, read from Neo4j with what folding them in starts from.

:func:`read_new_movies` answers which movies the active run has no embedding for (``cypher/read_new_movies.cypher``),
with their year, genres and current ratings: the input of :mod:`movierec.gnn.serving.movie_foldin`. ``movierec
refresh`` is to fold them in under the active run (not yet: README, "New movies").

Example:
    >>> with connect(Neo4jSettings.resolve()) as graph:      # doctest: +SKIP
    ...     [m.title for m in read_new_movies(graph)]
    ['Toy Story 5']
"""

from __future__ import annotations

from dataclasses import dataclass, field

from movierec import cypher
from movierec.core.db import Graph

DEFAULT_LIMIT = 1_000  # movies read at once


@dataclass
class NewMovie:
    """A movie without a place in the active run, as the graph holds it now."""

    movie_id: int
    title: str | None
    year: int | None
    genres: frozenset[str] = field(default_factory=frozenset)
    user_ids: list[int] = field(default_factory=list)  # its raters, userId order
    ratings: list[float] = field(default_factory=list)  # their ratings, the same order


def read_new_movies(graph: Graph, limit: int = DEFAULT_LIMIT) -> list[NewMovie]:
    """The movies that have no embedding in the graph (at most ``limit``, movieId order), with their content and
    ratings.

    Raises:
        ValueError: ``limit`` below 1.
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    return [NewMovie(movie_id=int(r["movieId"]), title=r["title"], year=None if r["year"] is None else int(r["year"]),
                     genres=frozenset(r["genres"]), user_ids=[int(u) for u in r["userIds"]],
                     ratings=[float(x) for x in r["ratings"]])
            for r in graph.read(cypher.load("read_new_movies"), limit=limit)]
