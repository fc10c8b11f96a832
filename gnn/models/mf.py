"""The matrix-factorisation peer: ``mean + b_u + b_m + p_u · q_m``, full-batch Adam with L2.

The biases start at the bias peer's (closed form); early stopping on validation RMSE.
"""

from __future__ import annotations

import logging
from typing import ClassVar

import torch
from torch import Tensor, nn

from movierec.gnn.evaluation.metrics import rating_metrics
from movierec.gnn.models.base import Peer, PeerEdges, PeerFit
from movierec.gnn.models.bias import bias
from movierec.gnn.models.scorers import LinearScorer
from movierec.gnn.training.early_stopping import EarlyStopping

logger = logging.getLogger(__name__)


class _MF(nn.Module):
    def __init__(self, num_users: int, num_movies: int, dim: int, mean: float) -> None:
        super().__init__()
        self.mean = mean
        self.p = nn.Embedding(num_users, dim)
        self.q = nn.Embedding(num_movies, dim)
        self.bu = nn.Embedding(num_users, 1)
        self.bm = nn.Embedding(num_movies, 1)
        for emb in (self.p, self.q):
            nn.init.normal_(emb.weight, std=0.01)
        for emb in (self.bu, self.bm):
            nn.init.zeros_(emb.weight)

    def forward(self, u: Tensor, m: Tensor) -> Tensor:
        return self.mean + self.bu(u).squeeze(-1) + self.bm(m).squeeze(-1) + (self.p(u) * self.q(m)).sum(-1)


def matrix_factorization(
    edge_index: Tensor, ratings: Tensor, val_edge_index: Tensor, val_ratings: Tensor, num_users: int,
    num_movies: int, dim: int = 32, lr: float = 0.01, reg: float = 0.1, epochs: int = 300, patience: int = 20,
    seed: int = 0,
) -> LinearScorer:
    """Biased matrix factorisation, full-batch Adam with L2 on the rows each rating touches.

    Args:
        edge_index (torch.Tensor): ``[2, E]`` training pairs.
        ratings (torch.Tensor): ``[E]`` training ratings.
        val_edge_index (torch.Tensor): ``[2, V]`` validation pairs (early stopping).
        val_ratings (torch.Tensor): ``[V]``.
        num_users (int): Users.
        num_movies (int): Movies.
        dim (int): Factors. (default: ``32``)
        lr (float): Adam learning rate. (default: ``0.01``)
        reg (float): L2 weight per rating on the factors and biases used. (default: ``0.1``)
        epochs (int): Maximum full-batch steps. (default: ``300``)
        patience (int): Steps without a better validation RMSE before stopping. (default: ``20``)
        seed (int): Initialisation seed. (default: ``0``)
    """
    torch.manual_seed(seed)
    mean = float(ratings.mean())
    lo, hi = float(ratings.min()), float(ratings.max())
    model = _MF(num_users, num_movies, dim, mean)
    start = bias(edge_index, ratings, num_users, num_movies)  # biases start at the closed-form solution
    with torch.no_grad():
        model.bu.weight.copy_(start.user_bias.unsqueeze(1))
        model.bm.weight.copy_(start.movie_bias.unsqueeze(1))
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    u, m = edge_index
    stopper = EarlyStopping(model, patience, lower_is_better=True)
    for _ in range(epochs):
        model.train()
        opt.zero_grad()
        pred = model(u, m)
        penalty = (model.p(u).pow(2).sum(-1) + model.q(m).pow(2).sum(-1)
                   + model.bu(u).pow(2).squeeze(-1) + model.bm(m).pow(2).squeeze(-1)).mean()
        loss = (pred - ratings).pow(2).mean() + reg * penalty
        loss.backward()
        opt.step()
        with torch.no_grad():
            val = (rating_metrics(model(*val_edge_index).clamp(lo, hi), val_ratings)["rmse"]
                   if val_ratings.numel() else float(loss))
        if stopper.step(val):
            break
    stopper.restore()
    best = stopper.best
    logger.info("MF: best validation RMSE %.4f", best)
    return LinearScorer(model.p.weight.detach().clone(), model.q.weight.detach().clone(),
                        model.bu.weight.detach().squeeze(-1).clone(), model.bm.weight.detach().squeeze(-1).clone(),
                        mean)


class MatrixFactorization(Peer):
    """Biased MF, 32 factors.

    Args:
        epochs (int): Maximum full-batch steps. (default: ``300``)
    """

    name: ClassVar[str] = "mf"

    def __init__(self, epochs: int = 300) -> None:
        self.epochs = epochs

    def fit(self, edges: PeerEdges, k: int, seed: int) -> PeerFit:
        scorer = matrix_factorization(edges.train_ei, edges.train_r, edges.val_ei, edges.val_r, edges.num_users,
                                      edges.num_movies, epochs=self.epochs, seed=seed)
        return PeerFit(scorer, scorer)
