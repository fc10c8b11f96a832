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
    train_user, train_movie = train_edge_index[0].cpu(), train_edge_index[1].cpu()
    num_users = int(max(int(users.max()) if len(users) else 0, int(train_user.max()) if len(train_user) else 0)) + 1
    local = torch.full((num_users,), -1, dtype=torch.long)
    for start in range(0, len(users), chunk):
        batch = users[start:start + chunk]
        local[batch] = torch.arange(len(batch))
        scores = score(batch).float().cpu().clone()
        in_batch = local[train_user] >= 0
        scores[local[train_user[in_batch]], train_movie[in_batch]] = float("-inf")
        top = scores.topk(min(k, num_movies), dim=1).indices
        label = local[rel_user] >= 0
        metrics.update(top, (local[rel_user[label]], rel_movie[label]))
        local[batch] = -1
    out = {name.split("LinkPred")[1]: float(v) for name, v in metrics.compute().items()}
    return {
        f"recall@{k}": out[f"Recall@{k}"],
        f"ndcg@{k}": out[f"NDCG@{k}"],
        f"hitrate@{k}": out[f"HitRatio@{k}"],
        "users": float(len(users)),
    }
