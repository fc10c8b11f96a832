"""Folding in movies a run never saw (``movierec.gnn.serving.movie_foldin``): content prior, ranking, ratings."""

from __future__ import annotations

import pytest
import torch

from movierec.gnn.models.base import ridge_rows
from movierec.gnn.models.scorers import LinearScorer
from movierec.gnn.serving.movie_foldin import (
    Catalogue,
    content_neighbours,
    content_prior,
    fold_in_ranking,
    fold_in_ratings,
)

GENRES = [frozenset({"Animation", "Children"}), frozenset({"Animation", "Children", "Comedy"}),
          frozenset({"Horror"}), frozenset({"Animation", "Children"}), frozenset({"Drama"}), frozenset()]
YEARS = torch.tensor([1995, 1999, 1980, 2010, 1990, 0])
POPULARITY = torch.tensor([50, 10, 40, 5, 100, 0])
TRAINED = POPULARITY > 0


def test_content_neighbours_share_genres_then_popularity_then_year() -> None:
    catalogue = Catalogue.build(GENRES, YEARS, POPULARITY, TRAINED)
    idx, weight = content_neighbours(catalogue,
                                     [frozenset({"Animation", "Children"}), frozenset({"Western"}), frozenset()],
                                     torch.tensor([2012, 1970, 0]), top=3)
    # a cartoon: the two Animation|Children films (the more rated first), then Animation|Children|Comedy
    assert idx[0].tolist() == [0, 3, 1]
    assert weight[0].tolist() == pytest.approx([1 / (1 + 1 + 2 / 3), 1 / (1 + 1 + 2 / 3), (2 / 3) / (1 + 1 + 2 / 3)])
    # no shared genre, or no genres at all: the most rated trained movies, weighted alike (never the untrained one)
    for row in (1, 2):
        assert idx[row].tolist() == [4, 0, 2] and weight[row].tolist() == pytest.approx([1 / 3] * 3)


def test_content_neighbours_tie_on_popularity_goes_to_the_closest_year() -> None:
    popularity = torch.tensor([7, 7, 7, 7, 7, 0])
    catalogue = Catalogue.build(GENRES, YEARS, popularity, TRAINED)
    idx, _ = content_neighbours(catalogue, [frozenset({"Animation", "Children"})], torch.tensor([2008]), top=2)
    assert idx[0].tolist() == [3, 0]  # 2010 before 1995
    # a genre the catalogue has never seen counts in the union: Animation|Western shares half of what it has
    idx, weight = content_neighbours(catalogue, [frozenset({"Animation", "Western"})], torch.tensor([0]), top=1)
    assert idx[0].tolist() == [0] and weight[0].tolist() == [1.0]


def test_content_prior_is_the_weighted_mean() -> None:
    vectors = torch.arange(12, dtype=torch.float32).view(6, 2)
    v, b = content_prior(vectors, torch.arange(6.0), torch.tensor([[0, 2]]), torch.tensor([[0.25, 0.75]]))
    assert v.tolist() == [[3.0, 4.0]] and b.tolist() == [1.5]
    # the ranker's prior: the first neighbour's bias (the most rated film of the genres), the same mean vector
    v, b = content_prior(vectors, torch.arange(6.0), torch.tensor([[2, 0]]), torch.tensor([[0.75, 0.25]]),
                         first_bias=True)
    assert v.tolist() == [[3.0, 4.0]] and b.tolist() == [2.0]


def scorer(user: torch.Tensor, movie: torch.Tensor, offset: float = 0.0) -> LinearScorer:
    return LinearScorer(user, movie, torch.zeros(len(user)), torch.zeros(len(movie)), offset)


def test_ranking_vector_moves_from_the_prior_to_the_raters() -> None:
    users = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    movies = torch.tensor([[2.0, 0.0], [0.0, 2.0]])  # trained movies of length 2
    prior, prior_bias = torch.tensor([[0.0, 2.0], [0.0, 2.0]]), torch.tensor([0.3, 0.3])
    # new movie 0 rated 5 by users 0 and 2 (both along x); new movie 1 not rated
    raters, stars = torch.tensor([[0, 0], [0, 2]]), torch.tensor([5.0, 5.0])
    vec, bias = fold_in_ranking(scorer(users, movies), raters, stars, 2, prior, prior_bias, half=2.0)
    assert vec[0].tolist() == pytest.approx([2.0 * 2 / 4, 2.0 * 2 / 4])  # half its raters' direction, half prior
    assert vec[1].tolist() == pytest.approx([0.0, 2.0])  # no rating: the prior
    assert bias.tolist() == pytest.approx([0.3, 0.3])
    vec, _ = fold_in_ranking(scorer(users, movies), raters, stars, 2, prior, prior_bias, half=0.0)
    assert vec[0].tolist() == pytest.approx([2.0, 0.0])  # the raters' direction, on the trained movies' length


def test_rating_fold_in_is_the_ridge_towards_the_prior() -> None:
    g = torch.Generator().manual_seed(0)
    users = torch.randn(40, 3, generator=g)
    user_bias = torch.randn(40, generator=g) * 0.3
    rating = LinearScorer(users, torch.randn(5, 3, generator=g), user_bias, torch.zeros(5), 3.5)
    true_q, true_b = torch.tensor([0.5, -0.2, 0.3]), 0.4
    raters = torch.stack([torch.zeros(40, dtype=torch.long), torch.arange(40)])
    values = 3.5 + user_bias + true_b + users @ true_q
    prior, prior_bias = torch.zeros(1, 3), torch.zeros(1)
    q, b = fold_in_ratings(rating, raters, values, 1, prior, prior_bias, bias_reg=1e-6, factor_reg=1e-9)
    assert q[0].tolist() == pytest.approx(true_q.tolist(), abs=1e-3) and float(b[0]) == pytest.approx(true_b, abs=1e-3)
    # no ratings: exactly the prior
    q, b = fold_in_ratings(rating, torch.zeros(2, 0, dtype=torch.long), torch.zeros(0), 1, torch.ones(1, 3),
                           torch.tensor([0.7]))
    assert q[0].tolist() == pytest.approx([1.0, 1.0, 1.0]) and b.tolist() == pytest.approx([0.7])
    # the regularised solution, against the normal equations written out
    x = torch.cat([torch.ones(40, 1), users], dim=1).double()
    t = (values - 3.5 - user_bias).double()
    reg = torch.tensor([5.0] + [25.0 * float(users.pow(2).sum(1).mean())] * 3).double()
    start = torch.tensor([0.7, 1.0, 1.0, 1.0]).double()
    want = torch.linalg.solve(x.T @ x + torch.diag(reg), x.T @ t + reg * start)
    q, b = fold_in_ratings(rating, raters, values, 1, torch.ones(1, 3), torch.tensor([0.7]))
    assert [float(b[0]), *q[0].tolist()] == pytest.approx(want.tolist(), abs=1e-4)


def test_ridge_rows_equals_the_normal_equations_of_each_row() -> None:
    g = torch.Generator().manual_seed(1)
    x, target = torch.randn(50, 4, generator=g), torch.randn(50, generator=g)
    rows = torch.randint(0, 6, (50,), generator=g)
    rows[rows == 5] = 4  # row 5 has no examples: it is its start
    reg, start = torch.tensor([0.5, 1.0, 2.0, 3.0]), torch.randn(6, 4, generator=g)
    got = ridge_rows(x, target, rows, 6, reg, start)
    for r in range(6):
        xr, tr = x[rows == r].double(), target[rows == r].double()
        want = torch.linalg.solve(xr.T @ xr + torch.diag(reg.double()), xr.T @ tr + reg.double() * start[r].double())
        assert got[r].tolist() == pytest.approx(want.tolist(), abs=1e-4)
    assert got[5].tolist() == pytest.approx(start[5].tolist(), abs=1e-6)


def test_content_prior_of_the_first_neighbours_renormalises_their_weights() -> None:
    vectors = torch.arange(12, dtype=torch.float32).view(6, 2)
    v, b = content_prior(vectors, torch.arange(6.0), torch.tensor([[2, 0, 4]]), torch.tensor([[0.5, 0.25, 0.25]]),
                         first_bias=True, top=2)
    assert v[0].tolist() == pytest.approx([(2 * 4.0 + 0.0) / 3, (2 * 5.0 + 1.0) / 3]) and b.tolist() == [2.0]
