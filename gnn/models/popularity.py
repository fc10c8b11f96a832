"""The popularity peer: movies ranked by their number of training ratings; it predicts no ratings."""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import Tensor

from movierec.gnn.models.base import Peer, PeerEdges, PeerFit
from movierec.gnn.models.scorers import LinearScorer


def popularity(edge_index: Tensor, num_users: int, num_movies: int) -> LinearScorer:
    """Rank movies by how many training ratings they have (ties: lower index first)."""
    counts = torch.zeros(num_movies).index_add_(0, edge_index[1], torch.ones(edge_index.size(1)))
    return LinearScorer(torch.zeros(num_users, 0), torch.zeros(num_movies, 0), torch.zeros(num_users), counts, 0.0)


class Popularity(Peer):
    """The most-rated movies first, the same list for everyone."""

    name: ClassVar[str] = "popularity"

    def fit(self, edges: PeerEdges, k: int, seed: int) -> PeerFit:
        return PeerFit(popularity(edges.train_ei, edges.num_users, edges.num_movies), None)
