"""The bias peer: ``mean + b_u + b_m`` by regularised alternating least squares (closed form).

It is also where the rating models start: the rating head and MF begin at these biases.
"""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import Tensor

from movierec.gnn.models.base import Peer, PeerEdges, PeerFit
from movierec.gnn.models.scorers import LinearScorer


def bias(edge_index: Tensor, ratings: Tensor, num_users: int, num_movies: int,
         reg_user: float = 5.0, reg_movie: float = 5.0, iterations: int = 15) -> LinearScorer:
    """``mean + b_u + b_m`` by alternating ridge regression.

    Args:
        edge_index (torch.Tensor): ``[2, E]`` training (user, movie) indices.
        ratings (torch.Tensor): ``[E]`` training ratings.
        num_users (int): Users.
        num_movies (int): Movies.
        reg_user (float): Shrinkage of user biases towards 0. (default: ``5.0``)
        reg_movie (float): Shrinkage of movie biases towards 0. (default: ``5.0``)
        iterations (int): Alternating updates. (default: ``15``)
    """
    u, m = edge_index
    r = ratings.double()
    mean = float(r.mean())
    bu = torch.zeros(num_users, dtype=torch.float64)
    bm = torch.zeros(num_movies, dtype=torch.float64)
    n_u = torch.zeros(num_users, dtype=torch.float64).index_add_(0, u, torch.ones_like(r))
    n_m = torch.zeros(num_movies, dtype=torch.float64).index_add_(0, m, torch.ones_like(r))
    for _ in range(iterations):
        bm = torch.zeros_like(bm).index_add_(0, m, r - mean - bu[u]) / (n_m + reg_movie)
        bu = torch.zeros_like(bu).index_add_(0, u, r - mean - bm[m]) / (n_u + reg_user)
    return LinearScorer(torch.zeros(num_users, 0), torch.zeros(num_movies, 0), bu.float(), bm.float(), mean)


class Bias(Peer):
    """User + movie bias: the rating baseline every rating model must beat."""

    name: ClassVar[str] = "bias"

    def fit(self, edges: PeerEdges, k: int, seed: int) -> PeerFit:
        scorer = bias(edges.train_ei, edges.train_r, edges.num_users, edges.num_movies)
        return PeerFit(scorer, scorer)
