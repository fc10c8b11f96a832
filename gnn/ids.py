"""The one map between Neo4j ids (``userId``, ``movieId``) and contiguous tensor indices.

Every exported graph, run directory and writeback keeps, per node type, the Neo4j id of each
tensor index (``node_id`` / ``user_ids`` / ``movie_ids``). :func:`positions` goes the other way,
for any number of ids at once, with one sort and one binary search.

Example:
    >>> import numpy as np
    >>> positions(np.array([30, 10, 20]), np.array([20, 40]))
    (array([2, 0]), array([ True, False]))
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def positions(known: Sequence[int] | np.ndarray, ids: Sequence[int] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of each of ``ids`` in ``known``, and whether it is there.

    Args:
        known (Sequence[int] | np.ndarray): The Neo4j id of each tensor index (any order, no repeats).
        ids (Sequence[int] | np.ndarray): The ids to look up.

    Returns:
        tuple[np.ndarray, np.ndarray]: ``int64`` indices (meaningless where not found) and a ``bool`` mask
        of the ids that are in ``known``.
    """
    known = np.asarray(known, dtype=np.int64)
    ids = np.asarray(ids, dtype=np.int64)
    if len(known) == 0:
        return np.zeros(len(ids), dtype=np.int64), np.zeros(len(ids), dtype=bool)
    order = np.argsort(known, kind="stable")
    ranked = known[order]
    pos = np.minimum(np.searchsorted(ranked, ids), len(ranked) - 1)
    return order[pos], ranked[pos] == ids


def first_missing(known: Sequence[int] | np.ndarray, ids: Sequence[int] | np.ndarray) -> int | None:
    """The first of ``ids`` that is not in ``known``, or ``None`` when all are."""
    _, found = positions(known, ids)
    if found.all():
        return None
    return int(np.asarray(ids, dtype=np.int64)[np.flatnonzero(~found)[0]])
