"""Metrics and baselines on hand-made numbers."""

from __future__ import annotations

import math

import pytest
import torch

from movierec.gnn.evaluation.metrics import ranking_metrics, rating_metrics
from movierec.gnn.models.bias import bias
from movierec.gnn.models.global_mean import global_mean
from movierec.gnn.models.popularity import popularity
from movierec.gnn.models.scorers import LinearScorer


def test_rating_metrics() -> None:
    out = rating_metrics(torch.tensor([3.0, 4.0, 5.0]), torch.tensor([4.0, 4.0, 3.0]))
    assert out["rmse"] == pytest.approx(math.sqrt(5 / 3))
    assert out["mae"] == pytest.approx(1.0)


def test_ranking_excludes_training_movies_and_counts_relevant_only() -> None:
    # 2 users, 5 movies; scores rank movies 4 > 3 > 2 > 1 > 0 for everyone.
    def score(users: torch.Tensor) -> torch.Tensor:
        return torch.arange(5.0).repeat(len(users), 1)

    train = torch.tensor([[0, 1], [4, 3]])           # user 0 rated 4, user 1 rated 3 in training
    test = torch.tensor([[0, 0, 1, 1], [3, 0, 4, 1]])
    rating = torch.tensor([5.0, 4.0, 2.0, 4.5])      # user 1's movie 4 is not relevant (rating < 4)
    out = ranking_metrics(score, train, test, rating, num_movies=5, k=2)
    # user 0: top-2 of {3,2,1,0} = [3, 2]; relevant {3, 0} → recall 1/2, DCG 1, IDCG 1 + 1/log2(3)
    # user 1: top-2 of {4,2,1,0} = [4, 2]; relevant {1} → recall 0, NDCG 0
    assert out["recall@2"] == pytest.approx(0.25)
    assert out["ndcg@2"] == pytest.approx(0.5 / (1 + 1 / math.log2(3)))
    assert out["hitrate@2"] == pytest.approx(0.5)
    assert out["users"] == 2


def test_scorer_average_is_the_mean_of_scores() -> None:
    g = torch.Generator().manual_seed(0)
    a = LinearScorer(torch.randn(3, 2, generator=g), torch.randn(4, 2, generator=g), torch.randn(3, generator=g),
                     torch.randn(4, generator=g), 3.0)
    b = LinearScorer(torch.randn(3, 5, generator=g), torch.randn(4, 5, generator=g), torch.randn(3, generator=g),
                     torch.randn(4, generator=g), 3.5)
    mean = LinearScorer.average([a, b])
    users = torch.arange(3)
    assert torch.allclose(mean.scores(users), (a.scores(users) + b.scores(users)) / 2, atol=1e-6)
    assert torch.allclose(mean.pairs(users, users), (a.pairs(users, users) + b.pairs(users, users)) / 2, atol=1e-6)


def test_bias_baseline_and_popularity() -> None:
    edges = torch.tensor([[0, 0, 1, 1, 2], [0, 1, 0, 2, 0]])
    ratings = torch.tensor([5.0, 3.0, 4.0, 2.0, 5.0])
    plain = bias(edges, ratings, 3, 3, reg_user=0.0, reg_movie=0.0, iterations=200)
    assert torch.allclose(plain.pairs(*edges), ratings, atol=0.05)  # unregularised: close fit
    assert global_mean(ratings, 3, 3).pairs(*edges).tolist() == [pytest.approx(3.8)] * 5
    pop = popularity(edges, 3, 3)
    assert pop.scores(torch.tensor([1])).tolist() == [[3.0, 1.0, 1.0]]
