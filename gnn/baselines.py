"""Classic baselines, fitted on the training edges of the same split as the model.

Each baseline is a :class:`~movierec.gnn.model.LinearScorer` (popularity ranks only):

- global mean: every prediction is the mean training rating;
- user + item bias: ``mean + b_u + b_m``, regularised alternating least squares (closed form);
- matrix factorisation: ``mean + b_u + b_m + p_u · q_m`` in torch, biases started at the bias
  baseline's, full-batch Adam with L2, early stopping on validation RMSE;
- popularity: movies ranked by their number of training ratings (no rating prediction).
"""

from __future__ import annotations

import logging

import torch
from torch import Tensor, nn

from movierec.gnn.early_stopping import EarlyStopping
from movierec.gnn.metrics import rating_metrics
from movierec.gnn.model import LinearScorer

logger = logging.getLogger(__name__)


def global_mean(ratings: Tensor, num_users: int, num_movies: int) -> LinearScorer:
    """Every prediction is the mean training rating."""
    return LinearScorer(torch.zeros(num_users, 0), torch.zeros(num_movies, 0), torch.zeros(num_users),
                        torch.zeros(num_movies), float(ratings.mean()))


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


def popularity(edge_index: Tensor, num_users: int, num_movies: int) -> LinearScorer:
    """Rank movies by how many training ratings they have (ties: lower index first)."""
    counts = torch.zeros(num_movies).index_add_(0, edge_index[1], torch.ones(edge_index.size(1)))
    return LinearScorer(torch.zeros(num_users, 0), torch.zeros(num_movies, 0), torch.zeros(num_users), counts, 0.0)


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
