"""A rating model on top of fixed embeddings, for the models that rank but predict no ratings themselves.

``mean + b_u + b_m + <e_u * w, e_m>``: the biases start from the closed-form bias baseline and ``w`` from zero, so
the head starts exactly at the bias baseline and only moves where validation RMSE improves. It is a
:class:`~movierec.gnn.models.scorers.LinearScorer` once fitted, so Cypher computes it from the nodes' parts.
"""

from __future__ import annotations

import logging

import torch
from torch import Tensor, nn

from movierec.gnn.evaluation.metrics import rating_metrics
from movierec.gnn.models.bias import bias
from movierec.gnn.models.scorers import LinearScorer
from movierec.gnn.training.config import TrainConfig
from movierec.gnn.training.early_stopping import EarlyStopping

logger = logging.getLogger(__name__)

RATING_HEAD_MAX_EDGES = 2_000_000  # the closed-form models' rating head fits on at most this many ratings


class RatingHead(nn.Module):
    """``mean + b_u + b_m + <e_u * w, e_m>`` over fixed ranking embeddings: ratings for a ranking model.

    Args:
        num_users (int): Users.
        num_movies (int): Movies.
        dim (int): Embedding size.
        mean (float): Mean training rating.
    """

    def __init__(self, num_users: int, num_movies: int, dim: int, mean: float) -> None:
        super().__init__()
        self.mean = mean
        self.user_bias = nn.Parameter(torch.zeros(num_users))
        self.movie_bias = nn.Parameter(torch.zeros(num_movies))
        self.weight = nn.Parameter(torch.zeros(dim))

    def forward(self, eu: Tensor, em: Tensor, users: Tensor, movies: Tensor) -> Tensor:
        dot = (eu[users] * self.weight * em[movies]).sum(-1)
        return self.mean + self.user_bias[users] + self.movie_bias[movies] + dot

    @torch.no_grad()
    def scorer(self, eu: Tensor, em: Tensor) -> LinearScorer:
        return LinearScorer(eu * self.weight, em.clone(), self.user_bias.detach().clone(),
                            self.movie_bias.detach().clone(), self.mean)


def fit_rating_head(eu: Tensor, em: Tensor, train_ei: Tensor, train_r: Tensor, val_ei: Tensor, val_r: Tensor,
                    config: TrainConfig, reg: float = 0.05,
                    start: tuple[Tensor, Tensor] | None = None) -> RatingHead:
    """Fit ``mean + b_u + b_m + <e_u * w, e_m>`` on the training ratings (embeddings fixed), early-stopped on val.

    The biases start from :func:`movierec.gnn.models.bias.bias` (closed form) and ``w`` from zero, so
    the head starts exactly at the bias baseline and only moves where validation RMSE improves.

    Args:
        eu (torch.Tensor): ``[U, d]`` fixed user embeddings.
        em (torch.Tensor): ``[M, d]`` fixed movie embeddings.
        train_ei (torch.Tensor): Training pairs.
        train_r (torch.Tensor): Training ratings.
        val_ei (torch.Tensor): Validation pairs.
        val_r (torch.Tensor): Validation ratings.
        config (TrainConfig): ``rating_head_epochs`` full-batch Adam steps.
        reg (float): L2 weight per rating on the biases used. (default: ``0.05``)
        start (tuple[Tensor, Tensor], optional): The edges the starting biases are fitted on. (default: the
            training edges)
    """
    eu, em = eu.detach(), em.detach()
    lo, hi = float(train_r.min()), float(train_r.max())
    head = RatingHead(eu.size(0), em.size(0), eu.size(1), float(train_r.mean())).to(eu.device)
    # Start from the closed-form bias baseline, so the head is never worse than it on training data.
    start_ei, start_r = start if start is not None else (train_ei, train_r)
    initial = bias(start_ei.cpu(), start_r.cpu(), eu.size(0), em.size(0))
    with torch.no_grad():
        head.user_bias.copy_(initial.user_bias)
        head.movie_bias.copy_(initial.movie_bias)
    optimizer = torch.optim.Adam(head.parameters(), lr=0.01)
    u, m = train_ei
    stopper = EarlyStopping(head, patience=20, lower_is_better=True)
    for _ in range(config.rating_head_epochs):
        optimizer.zero_grad()
        pred = head(eu, em, u, m)
        loss = (pred - train_r).pow(2).mean() + reg * (head.user_bias[u].pow(2) + head.movie_bias[m].pow(2)).mean()
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            val = (rating_metrics(head(eu, em, *val_ei).clamp(lo, hi), val_r)["rmse"]
                   if val_r.numel() else float(loss))
        if stopper.step(val):
            break
    stopper.restore()
    logger.info("rating head: best validation RMSE %.4f", stopper.best)
    return head


def sample_edges(edge_index: Tensor, rating: Tensor, most: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """At most ``most`` of the edges, a seeded random sample (all of them when there are fewer)."""
    if edge_index.size(1) <= most:
        return edge_index, rating
    keep = torch.randperm(edge_index.size(1), generator=generator)[:most].sort().values.to(edge_index.device)
    return edge_index[:, keep], rating[keep]
