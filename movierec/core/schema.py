"""The graph model's names: every Neo4j label, relationship type and vector index movierec uses.

Cypher query text never contains user input. Values travel as ``$parameters``; the only names
spliced into query text (labels and relationship types, when counting them) are checked against
the allow-lists below and backtick-quoted by :func:`quote`. Property names are never spliced:
they are written out in the ``cypher/*.cypher`` files (the README's graph model lists them).
"""

from __future__ import annotations

from typing import Final

# Node labels
USER: Final = "User"
MOVIE: Final = "Movie"
GENRE: Final = "Genre"
MODEL_RUN: Final = "ModelRun"

# Relationship types
RATED: Final = "RATED"
TAGGED: Final = "TAGGED"
IN_GENRE: Final = "IN_GENRE"
RECOMMENDED: Final = "RECOMMENDED"
SIMILAR: Final = "SIMILAR"

LABELS: Final = frozenset({USER, MOVIE, GENRE, MODEL_RUN})
RELATIONSHIP_TYPES: Final = frozenset({RATED, TAGGED, IN_GENRE, RECOMMENDED, SIMILAR})

# Vector indexes on the learned embeddings (user_embedding: made by earlier versions, dropped by a writeback)
USER_EMBEDDING_INDEX: Final = "user_embedding"
MOVIE_EMBEDDING_INDEX: Final = "movie_embedding"

_ALLOWED: Final = LABELS | RELATIONSHIP_TYPES | {USER_EMBEDDING_INDEX, MOVIE_EMBEDDING_INDEX}


def quote(name: str) -> str:
    """Return ``name`` backtick-quoted for Cypher, if it is on the allow-list.

    Args:
        name (str): A label, relationship type or vector index name.

    Returns:
        str: The quoted name, e.g. ```User```.

    Raises:
        ValueError: If ``name`` is not one of movierec's own names.

    Example:
        >>> quote("User")
        '`User`'
    """
    if name not in _ALLOWED:
        raise ValueError(f"{name!r} is not a label, relationship type or index movierec knows")
    return f"`{name}`"
