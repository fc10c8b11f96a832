"""Evaluation metrics: rating error (RMSE, MAE) and top-K ranking (Recall, NDCG, HitRate).

Ranking protocol: for every user with at least one relevant test rating (rating >= 4), all
movies the user did not rate in *training* are ranked by the model's score and the top ``k``
compared with the relevant test movies, with PyG's ``LinkPredRecall``, ``LinkPredNDCG`` and
``LinkPredHitRatio`` (recall divides by the number of relevant movies; NDCG's ideal DCG counts
``min(k, relevant)`` hits). Averages are over those users.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch_geometric.metrics import LinkPredHitRatio, LinkPredMetricCollection, LinkPredNDCG, LinkPredRecall

RELEVANT_RATING = 4.0


def rating_metrics(pred: torch.Tensor, target: torch.Tensor) -> dict[str, float]:
    """RMSE and MAE of predicted ratings.

    Args:
        pred (torch.Tensor): Predictions ``[N]``.
        target (torch.Tensor): True ratings ``[N]``.

    Returns:
        dict[str, float]: ``{"rmse": ..., "mae": ...}``.
    """
    err = pred.double() - target.double()
    return {"rmse": float(err.pow(2).mean().sqrt()), "mae": float(err.abs().mean())}


@torch.no_grad()
def ranking_metrics(
    score: Callable[[torch.Tensor], torch.Tensor],
    train_edge_index: torch.Tensor,
    test_edge_index: torch.Tensor,
    test_rating: torch.Tensor,
    num_movies: int,
    k: int = 10,
    threshold: float = RELEVANT_RATING,
    chunk: int = 512,
) -> dict[str, float]:
    """Recall@k, NDCG@k and HitRate@k over all movies each user did not rate in training.

    Args:
        score (Callable[[torch.Tensor], torch.Tensor]): Maps user indices ``[n]`` to scores ``[n, num_movies]``
            (higher = better).
        train_edge_index (torch.Tensor): ``[2, E]`` training (user, movie) pairs, excluded from ranking.
        test_edge_index (torch.Tensor): ``[2, T]`` test pairs.
        test_rating (torch.Tensor): ``[T]`` their ratings.
        num_movies (int): Movies ranked.
        k (int): Cut-off. (default: ``10``)
        threshold (float): A test rating at least this is relevant. (default: ``4.0``)
        chunk (int): Users scored at a time. (default: ``512``)

    Returns:
        dict[str, float]: ``recall@k``, ``ndcg@k``, ``hitrate@k`` and ``users`` (how many were evaluated).
    """
    relevant = test_rating >= threshold
    rel_user, rel_movie = test_edge_index[0, relevant], test_edge_index[1, relevant]
    users = rel_user.unique()
    metrics = LinkPredMetricCollection([LinkPredRecall(k), LinkPredNDCG(k), LinkPredHitRatio(k)])
    # Both edge lists sorted by user once: each chunk of (sorted) users then owns one contiguous slice of
    # each, found by binary search, so a chunk costs its own edges, not a pass over all of them.
    train_user, train_movie = _by_user(train_edge_index[0].cpu(), train_edge_index[1].cpu())
    rel_user, rel_movie = _by_user(rel_user.cpu(), rel_movie.cpu())
    for start in range(0, len(users), chunk):
        batch = users[start:start + chunk]
        scores = score(batch).float().cpu().clone()
        rows, cols = _slice(train_user, train_movie, batch)
        scores[rows, cols] = float("-inf")
        top = scores.topk(min(k, num_movies), dim=1).indices
        metrics.update(top, _slice(rel_user, rel_movie, batch))
    out = {name.split("LinkPred")[1]: float(v) for name, v in metrics.compute().items()}
    return {
        f"recall@{k}": out[f"Recall@{k}"],
        f"ndcg@{k}": out[f"NDCG@{k}"],
        f"hitrate@{k}": out[f"HitRatio@{k}"],
        "users": float(len(users)),
    }


def _by_user(user: torch.Tensor, movie: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    order = torch.argsort(user, stable=True)
    return user[order], movie[order]


def _slice(user: torch.Tensor, movie: torch.Tensor, batch: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The edges of the (sorted, distinct) users ``batch`` as ``(row in batch, movie)``; ``user`` is sorted."""
    lo = torch.searchsorted(user, batch[0])
    hi = torch.searchsorted(user, batch[-1], right=True)
    user, movie = user[lo:hi], movie[lo:hi]
    row = torch.searchsorted(batch, user)
    keep = (row < len(batch)) & (batch[row.clamp(max=len(batch) - 1)] == user)
    return row[keep], movie[keep]
