"""gcmc, the graph rating model: its sparse training is exact, levels share weights, and it learns a planted taste."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pytest
import torch

from movierec.gnn.data.export import build_heterodata
from movierec.gnn.data.split import SplitConfig, split_edges
from movierec.gnn.evaluation.metrics import rating_metrics
from movierec.gnn.models.bias import bias
from movierec.gnn.models.gcmc import GCMC, MessageGraph, RatedPairs, RatingEncoder
from movierec.gnn.models.registry import config_for

if TYPE_CHECKING:
    from torch_geometric.data import HeteroData


def gradients(model: RatingEncoder, edge_index: torch.Tensor, level: torch.Tensor, ratings: torch.Tensor,
              kept: torch.Tensor) -> tuple[float, dict[str, torch.Tensor]]:
    model.zero_grad()
    pairs = RatedPairs(edge_index, ratings, model.user.size(0), model.num_movies)
    messages = MessageGraph(edge_index, level, model.user.size(0), model.num_movies, len(model.levels))
    loss = model.backward_mse(model.movies(messages, kept, 2.0), pairs)
    return loss, {name: p.grad.clone() for name, p in model.named_parameters() if p.grad is not None}


def test_the_sparse_encoder_and_loss_give_autograds_gradients_of_the_plain_formula() -> None:
    torch.manual_seed(0)
    model = RatingEncoder(num_users=7, num_movies=5, levels=[2, 6, 10], mean=3.0, hidden=4)
    model.set_raters(torch.tensor([0, 0, 1, 2, 2, 2, 4]))
    cells = torch.randperm(35)[:30]  # 30 distinct (user, movie) pairs, as ratings are
    edge_index = torch.stack([cells // 5, cells % 5])
    level, ratings = torch.randint(0, 3, (30,)), torch.rand(30) * 4 + 1
    kept = torch.rand(30) < 0.5  # the messages of an epoch: half the ratings, each counted twice
    # the reference: autograd through the plain formula, gathers and index_add, no hand-written gradients
    model.zero_grad()
    messages = model.weight.cumsum(0)[level[kept], edge_index[0, kept]]
    q = torch.sigmoid(model.movie_offset + 2.0 * model.movie_scale.unsqueeze(1) * torch.zeros(5, 4).index_add(
        0, edge_index[1, kept], messages))
    loss = (model.predict(q, *edge_index) - ratings).pow(2).mean()
    loss.backward()
    expected = {name: p.grad.clone() for name, p in model.named_parameters() if p.grad is not None}
    got_loss, got = gradients(model, edge_index, level, ratings, kept)
    assert got_loss == pytest.approx(float(loss.detach()), rel=1e-5)
    assert expected.keys() == got.keys() == {"weight", "movie_offset", "user", "user_bias", "movie_bias"}
    for name, grad in expected.items():
        torch.testing.assert_close(got[name], grad, rtol=1e-4, atol=1e-6)


def test_rating_levels_share_weights_ordinally() -> None:
    model = RatingEncoder(num_users=3, num_movies=2, levels=[2, 4, 6], mean=3.0, hidden=2)
    w = model.level_weights()
    torch.testing.assert_close(w[0], model.weight[0])
    torch.testing.assert_close(w[2], model.weight[0] + model.weight[1] + model.weight[2])


def planted(seed: int = 0) -> HeteroData:
    """120 users and 60 movies in two taste groups: 4.5 stars within a group, 1.5 across, a little noise."""
    rng = np.random.default_rng(seed)
    users, movies = np.arange(1, 121), np.arange(1, 61)
    pairs = [(u, m) for u in users for m in movies if rng.random() < 0.35]
    u, m = np.array(pairs).T
    same = (u % 2) == (m % 2)
    stars = np.clip(np.round((np.where(same, 4.5, 1.5) + rng.normal(0, 0.3, len(u))) * 2) / 2, 0.5, 5.0)
    return build_heterodata(user_ids=users, movie_ids=movies, rating_user=u, rating_movie=m, rating=stars,
                            timestamp=np.arange(len(u)), movie_years=[2000] * 60, movie_genres=[[]] * 60,
                            genres=[])


def test_it_learns_a_taste_the_bias_baseline_cannot_see() -> None:
    data = planted()
    split = split_edges(data, SplitConfig(seed=0))
    result = GCMC(config_for("gcmc", epochs=150, patience=150, lr=0.01, hidden=16)).fit(data, split,
                                                                                      torch.device("cpu"))
    edge_index, rating = data["user", "rates", "movie"].edge_index, data["user", "rates", "movie"].edge_label
    test_ei, test_r = edge_index[:, split.test], rating[split.test]
    baseline = bias(edge_index[:, split.train], rating[split.train], 120, 60)
    assert result.rating is not None
    ours = rating_metrics(result.rating.pairs(*test_ei).clamp(0.5, 5), test_r)["rmse"]
    theirs = rating_metrics(baseline.pairs(*test_ei).clamp(0.5, 5), test_r)["rmse"]
    assert theirs > 1.3 and ours < 0.75, (ours, theirs)  # the noise alone is about 0.33
