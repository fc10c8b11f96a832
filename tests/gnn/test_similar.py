"""Co-rating top-K, ``n_ij / (n_j + λ) · (1 + γ J_ij) / (1 + γ)`` (``movierec.gnn.serving.similar``), against a
brute force over sets."""

from __future__ import annotations

import pytest
import torch

from movierec.gnn.serving.similar import similar_movies


def brute_force(edge_index: torch.Tensor, num_users: int, num_movies: int, k: int, smoothing: float,
                genres: list[set[int]] | None = None, weight: float = 0.0) -> tuple[list[list[int]], list[list[float]]]:
    """Each movie's k + 1 best (movie, score), padded with (-1, 0.0), best first, ties by lower index."""
    rated: list[set[int]] = [set() for _ in range(num_movies)]
    for u, m in edge_index.t().tolist():
        rated[m].add(u)
    movies, scores = [], []
    for i in range(num_movies):
        cand = []
        for j in range(num_movies):
            both = len(rated[i] & rated[j])
            if j != i and both:
                factor = 1.0
                if genres is not None:
                    union = genres[i] | genres[j]
                    factor = (1 + weight * (len(genres[i] & genres[j]) / len(union) if union else 0.0)) / (1 + weight)
                cand.append((-both / (len(rated[j]) + smoothing) * factor, j))
        cand.sort()
        row = cand[:k + 1] + [(-0.0, -1)] * (k + 1 - len(cand[:k + 1]))  # one more, to see ties past k
        movies.append([j for _, j in row])
        scores.append([-s for s, _ in row])
    return movies, scores


@pytest.mark.parametrize(("seed", "chunk", "k", "smoothing", "weight"),
                         [(0, 7, 5, 10.0, None), (1, 64, 8, 0.0, None), (2, 3, 30, 2.5, None), (3, 7, 5, 10.0, 0.2),
                          (4, 5, 8, 0.0, 1.0)])
def test_matches_brute_force(seed: int, chunk: int, k: int, smoothing: float, weight: float | None) -> None:
    g = torch.Generator().manual_seed(seed)
    num_users, num_movies = 40, 25
    dense = torch.rand(num_users, num_movies, generator=g) < 0.25
    dense[:, 24] = False  # a movie nobody rated
    dense[3, 23] = True  # a movie rated by one user only
    dense[:, 23] = False
    dense[3, 23] = True
    users, movies = dense.nonzero(as_tuple=True)
    edges = torch.stack([users, movies])
    edges = torch.cat([edges, edges[:, :10]], dim=1)  # a repeated pair counts once
    onehots = (torch.rand(num_movies, 4, generator=g) < 0.4).float()  # 4 genres; some movies have none
    genres = [set(torch.nonzero(row).flatten().tolist()) for row in onehots] if weight is not None else None
    got_movies, got_scores = similar_movies(edges, num_users, num_movies, k=k, chunk=chunk, smoothing=smoothing,
                                            genres=None if weight is None else onehots, genre_weight=weight or 0.0)
    assert got_movies.shape == got_scores.shape == (num_movies, k)
    assert got_movies.dtype == torch.long and got_scores.dtype == torch.float32
    want_movies, want_scores = brute_force(edges, num_users, num_movies, k, smoothing, genres, weight or 0.0)
    for i in range(num_movies):
        s = want_scores[i]
        assert got_scores[i].tolist() == pytest.approx(s[:k], abs=1e-6)
        for r in range(k):
            neighbours = [s[r - 1] if r > 0 else 2.0, s[r + 1]]
            if all(abs(s[r] - other) > 1e-5 for other in neighbours):  # distinct: the index is determined
                assert int(got_movies[i, r]) == want_movies[i][r], (i, r)
        assert i not in got_movies[i].tolist()
    assert got_movies[24].tolist() == [-1] * k and got_scores[24].tolist() == [0.0] * k
    row = got_movies[23].tolist()
    assert all(m == -1 for m in row[int(dense[3].sum()) - 1:])  # movie 23 shares only user 3's movies


def test_scores_are_best_first_and_ties_go_to_the_lower_index() -> None:
    # users 0..2 rated movies 1, 2 and 3 alike: all three tie for movie 0's neighbours
    edges = torch.tensor([[0, 0, 0, 0, 1, 1, 1, 1, 2, 2], [0, 1, 2, 3, 0, 1, 2, 3, 4, 0]])
    movies, scores = similar_movies(edges, 3, 5, k=4)
    assert movies[0].tolist() == [1, 2, 3, 4]
    assert scores[0, :3].tolist() == pytest.approx([2 / 12] * 3)  # 2 of their 2 raters rated movie 0, λ = 10
    assert scores[0, 3].item() == pytest.approx(1 / 11)
    assert movies[4].tolist() == [0, -1, -1, -1]


def test_a_sequel_comes_before_a_blockbuster() -> None:
    # users 0..29 rated the original (movie 0) and a blockbuster (movie 2), users 30..59 the blockbuster only, users
    # 0..9 the sequel (movie 1). The plain cosine put the blockbuster first for the original (30/sqrt(30·60) = 0.71
    # against 10/sqrt(30·10) = 0.58); every rater of the sequel rated the original, so the sequel comes first
    original = torch.stack([torch.arange(30), torch.zeros(30, dtype=torch.long)])
    blockbuster = torch.stack([torch.arange(60), torch.full((60,), 2)])
    sequel = torch.stack([torch.arange(10), torch.ones(10, dtype=torch.long)])
    edges = torch.cat([original, blockbuster, sequel], dim=1)
    movies, scores = similar_movies(edges, 60, 3, k=2)
    assert movies[0].tolist() == [1, 2]
    assert scores[0].tolist() == pytest.approx([10 / (10 + 10), 30 / (60 + 10)])
    assert movies[1].tolist() == [0, 2] and scores[1].tolist() == pytest.approx([10 / 40, 10 / 70])
    movies, scores = similar_movies(edges, 60, 3, k=2, smoothing=0.0)
    assert movies[0].tolist() == [1, 2] and scores[0].tolist() == pytest.approx([1.0, 0.5])


def test_empty_and_invalid_input() -> None:
    movies, scores = similar_movies(torch.zeros(2, 0, dtype=torch.long), 3, 4, k=2)
    assert movies.tolist() == [[-1, -1]] * 4 and scores.sum() == 0
    with pytest.raises(ValueError, match="out of range"):
        similar_movies(torch.tensor([[0], [9]]), 3, 4)
    with pytest.raises(ValueError, match="at least 1"):
        similar_movies(torch.tensor([[0], [1]]), 3, 4, k=0)
    with pytest.raises(ValueError, match="smoothing must be at least 0"):
        similar_movies(torch.tensor([[0], [1]]), 3, 4, smoothing=-1.0)
    with pytest.raises(ValueError, match="genre_weight must be at least 0"):
        similar_movies(torch.tensor([[0], [1]]), 3, 4, genres=torch.ones(4, 2), genre_weight=-0.1)
    with pytest.raises(ValueError, match=r"genres must be \[4, G\]"):
        similar_movies(torch.tensor([[0], [1]]), 3, 4, genres=torch.ones(3, 2))


def test_a_movie_of_the_same_kind_comes_before_an_equally_co_rated_one() -> None:
    # users 0..9 rated the query (movie 0, a cartoon) and movies 1 (a cartoon), 2 and 3 (horror films); users 10 and
    # 11 rated movies 1 and 2 too. Co-ratings alone put 3 first (10 / 20) and tie 1 and 2 (10 / 22); the shared
    # genre puts the cartoon first: 10 / 22 · 1.2 / 1.2 against 10 / 20 / 1.2 and 10 / 22 / 1.2
    query = torch.stack([torch.arange(10).repeat(4), torch.arange(4).repeat_interleave(10)])
    others = torch.tensor([[10, 11, 10, 11], [1, 1, 2, 2]])
    edges = torch.cat([query, others], dim=1)
    genres = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    movies, scores = similar_movies(edges, 12, 4, k=3, genres=genres, genre_weight=0.2)
    assert movies[0].tolist() == [1, 3, 2]
    assert scores[0].tolist() == pytest.approx([10 / 22, 10 / 20 / 1.2, 10 / 22 / 1.2])
    plain = similar_movies(edges, 12, 4, k=3)[0]
    assert plain[0].tolist() == [3, 1, 2]
    no_genres = similar_movies(edges, 12, 4, k=3, genres=torch.zeros(4, 2), genre_weight=0.2)
    assert no_genres[0][0].tolist() == [3, 1, 2] and no_genres[1][0, 0].item() == pytest.approx(10 / 20 / 1.2)
