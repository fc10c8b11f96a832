"""The remote backend's bounded cache (:mod:`movierec.gnn.data.remote.stores`)."""

from __future__ import annotations

import torch
from torch import Tensor


class RingCache:
    """A bounded cache of rows by integer key (node or edge index), vectorised: a batch's hits and misses are found
    with one index operation. Rows go into a ring of ``capacity`` slots; when it is full the oldest rows make room.

    Args:
        keys (int): Keys are ``0 .. keys - 1``.
        capacity (int): Rows kept.
        columns (list[tuple[int, torch.dtype]]): Width and dtype of each cached value.
    """

    def __init__(self, keys: int, capacity: int, columns: list[tuple[int, torch.dtype]]) -> None:
        self.capacity = max(1, capacity)
        self.slot = torch.full((keys,), -1, dtype=torch.long)
        self.owner = torch.full((self.capacity,), -1, dtype=torch.long)
        self.values = [torch.zeros(self.capacity, width, dtype=dtype) for width, dtype in columns]
        self.next = 0
        self.hits = self.misses = 0

    def __len__(self) -> int:
        return int((self.owner >= 0).sum())

    def get(self, keys: Tensor) -> tuple[list[Tensor], Tensor]:
        """The cached rows of ``keys`` (zeros where missing) and the ``[n]`` mask of the missing ones."""
        slot = self.slot[keys]
        missing = slot < 0
        self.misses += int(missing.sum())
        self.hits += int(keys.numel()) - int(missing.sum())
        return [v[slot.clamp(min=0)] for v in self.values], missing

    def put(self, keys: Tensor, rows: list[Tensor]) -> None:
        """Cache ``rows`` of distinct ``keys`` (the last ``capacity`` of them when there are more)."""
        if keys.numel() > self.capacity:
            keys, rows = keys[-self.capacity:], [r[-self.capacity:] for r in rows]
        position = (self.next + torch.arange(keys.numel())) % self.capacity
        evicted = self.owner[position]
        self.slot[evicted[evicted >= 0]] = -1
        self.owner[position] = keys
        self.slot[keys] = position
        for value, row in zip(self.values, rows, strict=True):
            value[position] = row.to(value.dtype).view(len(keys), -1)
        self.next = int((self.next + keys.numel()) % self.capacity)
