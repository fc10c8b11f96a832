"""The global-mean peer: every prediction is the mean training rating."""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import Tensor

from movierec.gnn.models.base import Peer, PeerEdges, PeerFit
from movierec.gnn.models.scorers import LinearScorer


def global_mean(ratings: Tensor, num_users: int, num_movies: int) -> LinearScorer:
    """Every prediction is the mean training rating."""
    return LinearScorer(torch.zeros(num_users, 0), torch.zeros(num_movies, 0), torch.zeros(num_users),
                        torch.zeros(num_movies), float(ratings.mean()))


class GlobalMean(Peer):
    """The mean training rating for every pair (and no ranking signal: every movie ties)."""

    name: ClassVar[str] = "global_mean"

    def fit(self, edges: PeerEdges, k: int, seed: int) -> PeerFit:
        scorer = global_mean(edges.train_r, edges.num_users, edges.num_movies)
        return PeerFit(scorer, scorer)
