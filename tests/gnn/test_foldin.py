"""Fold-in scoring (gnn/serving/foldin.py): exact for the closed-form rankers, personal for any rating history."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from movierec.gnn.data.split import SplitConfig, split_edges
from movierec.gnn.models.base import fold_in_ratings
from movierec.gnn.models.registry import config_for, model_class
from movierec.gnn.models.scorers import LinearScorer
from movierec.gnn.serving.foldin import FoldIn, UserRatings, with_prior
from movierec.gnn.training.run import train_run
from movierec.gnn.training.run_dir import TrainedRun, load_run
from tests.gnn.tiny import tiny_data


def _run(tmp_path: Path, model: str) -> TrainedRun:
    data = tiny_data()
    split = split_edges(data, SplitConfig(seed=1))
    config = config_for(model, epochs=3, hidden=8, ensemble=1, seed=2)
    return load_run(train_run(data, split, config, runs_dir=tmp_path).path)


def _training_ratings(run: TrainedRun, user: int) -> UserRatings:
    edge_index, rating, split = run.split()
    mine = edge_index[0, split.train] == user
    movies = edge_index[1, split.train][mine].tolist()
    return UserRatings(run.user_ids[user], [run.movie_ids[m] for m in movies], rating[split.train][mine].tolist())


@pytest.mark.parametrize("model", ["ease", "gfcf"])
def test_folding_in_a_known_users_training_ratings_gives_the_runs_own_scores(tmp_path: Path, model: str) -> None:
    run = _run(tmp_path, model)
    fold = FoldIn(run)
    users = [_training_ratings(run, u) for u in range(len(run.user_ids))]
    history, _, _ = fold.signal(users)
    expected = run.score(torch.arange(len(run.user_ids)))
    got = model_class(run.model)(run.config).fold_in(run.rank_scorer, history)
    finite = torch.isfinite(expected)
    assert torch.equal(finite, torch.isfinite(got))
    assert torch.allclose(got[finite], expected[finite], atol=1e-5)
    # without its popularity prior, fold-in ranks a known user exactly as the run does
    plain = FoldIn(run, prior_weight=0.0).scores(history)
    assert torch.equal(plain.argsort(dim=1, stable=True), got.argsort(dim=1, stable=True))


def test_the_popularity_prior_fades_as_a_user_rates_more() -> None:
    scores = torch.tensor([[1.0, 0.0, -1.0, -math.inf]] * 3)
    popularity = torch.tensor([0.0, 1.0, 10.0, 5.0])
    mixed = with_prior(scores, torch.tensor([0, 10, 1000]), popularity, weight=3.0)
    assert mixed[0].argmax() == 2 and mixed[2].argmax() == 0  # new user: the popular one; heavy rater: the model's
    assert torch.isinf(mixed[:, 3]).all()  # never recommended stays so
    assert torch.equal(with_prior(scores, torch.tensor([0, 1, 2]), popularity, weight=0.0), scores)


@pytest.mark.parametrize("model", ["ease", "gfcf", "lightgcn"])
def test_a_new_user_gets_personal_recommendations_that_follow_their_ratings(tmp_path: Path, model: str) -> None:
    run = _run(tmp_path, model)
    fold = FoldIn(run)
    liked = [run.movie_ids[0], run.movie_ids[1]]
    other = [run.movie_ids[7], run.movie_ids[9]]
    first, second, nobody = fold.recommend(
        [UserRatings(10_001, liked, [5.0, 5.0]), UserRatings(10_002, other, [5.0, 4.5]),
         UserRatings(10_003, [], [])], k=5)
    assert first.known_ratings == 2 and nobody.known_ratings == 0
    assert not set(first.movie_ids) & set(liked) and not set(second.movie_ids) & set(other)  # rated: excluded
    assert len(first.movie_ids) == 5 and first.movie_ids != second.movie_ids  # personal, not one list
    popular = torch.topk(fold.popular(), 5).indices.tolist()
    assert nobody.movie_ids == [run.movie_ids[m] for m in popular]  # no rating: popularity
    lo, hi = run.rating_range
    assert all(lo <= r <= hi for r in first.predicted_ratings)
    assert first.scores == sorted(first.scores, reverse=True)


def test_an_unknown_movie_is_ignored_as_signal(tmp_path: Path) -> None:
    run = _run(tmp_path, "ease")
    fold = FoldIn(run)
    plain, noisy = fold.recommend([UserRatings(1, [run.movie_ids[0]], [4.0]),
                                   UserRatings(2, [run.movie_ids[0], 999_999], [4.0, 1.0])], k=5)
    assert plain.movie_ids == noisy.movie_ids and noisy.known_ratings == 1


def test_fold_in_ratings_is_the_bias_baseline_without_ratings_and_fits_many() -> None:
    torch.manual_seed(0)
    movie, movie_bias = torch.randn(50, 4), torch.randn(50) * 0.3
    scorer = LinearScorer(torch.zeros(1, 4), movie, torch.zeros(1), movie_bias, 3.5)
    truth = torch.tensor([0.5, -1.0, 0.25, 0.75])
    pairs = torch.stack([torch.zeros(50, dtype=torch.long), torch.arange(50)])
    ratings = 3.5 + 0.4 + movie_bias + movie @ truth
    fitted = fold_in_ratings(scorer, pairs, ratings, 1, bias_reg=1e-3, factor_reg=1e-4)
    assert torch.allclose(fitted.user[0], truth, atol=1e-2) and abs(float(fitted.user_bias[0]) - 0.4) < 1e-2
    empty = fold_in_ratings(scorer, torch.zeros(2, 0, dtype=torch.long), torch.zeros(0), 1)
    assert torch.equal(empty.pairs(torch.tensor([0]), torch.tensor([3])), 3.5 + movie_bias[3:4])
