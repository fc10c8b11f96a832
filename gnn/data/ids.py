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


class IdIndex:
    """The ids of one node type, sorted once, for many :meth:`positions` lookups (a service's hot path).

    Args:
        known (Sequence[int] | np.ndarray): The Neo4j id of each tensor index (any order, no repeats).
    """

    def __init__(self, known: Sequence[int] | np.ndarray) -> None:
        known = np.asarray(known, dtype=np.int64)
        self.size = len(known)
        self.order = np.argsort(known, kind="stable")
        self.ranked = known[self.order]

    def positions(self, ids: Sequence[int] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Index of each of ``ids``, and whether it is there (see :func:`positions`)."""
        ids = np.asarray(ids, dtype=np.int64)
        if self.size == 0:
            return np.zeros(len(ids), dtype=np.int64), np.zeros(len(ids), dtype=bool)
        pos = np.minimum(np.searchsorted(self.ranked, ids), self.size - 1)
        return self.order[pos], self.ranked[pos] == ids


def positions(known: Sequence[int] | np.ndarray, ids: Sequence[int] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of each of ``ids`` in ``known``, and whether it is there.

    Args:
        known (Sequence[int] | np.ndarray): The Neo4j id of each tensor index (any order, no repeats).
        ids (Sequence[int] | np.ndarray): The ids to look up.

    Returns:
        tuple[np.ndarray, np.ndarray]: ``int64`` indices (meaningless where not found) and a ``bool`` mask
        of the ids that are in ``known``.
    """
    return IdIndex(known).positions(ids)
