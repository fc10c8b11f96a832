"""Top-K of an item-item run: ranked on the movies its operator covers, equal to ranking every column."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pytest
import torch

from movierec.gnn.models import scorers
from movierec.gnn.models.scorers import History, ItemItemScorer
from movierec.gnn.serving.topk import rated_index, top_k


@dataclass
class _Run:
    """The part of a run top-K reads; ``restricted`` says whether it offers ``ranked_movies``."""

    scorer: ItemItemScorer
    user_ids: list[int]
    movie_ids: list[int]
    run_id: str = "item-item"

    def score(self, user_index: torch.Tensor) -> torch.Tensor:
        return self.scorer.scores(user_index)


@dataclass
class _RestrictedRun(_Run):
    def ranked_movies(self) -> torch.Tensor:
        return self.scorer.items

    def score_ranked(self, user_index: torch.Tensor) -> torch.Tensor:
        return self.scorer.item_scores(user_index)


def _scorer(users: int = 23, movies: int = 17, seed: int = 0) -> ItemItemScorer:
    g = torch.Generator().manual_seed(seed)
    edges = torch.stack([torch.randint(0, users, (120,), generator=g), torch.randint(0, movies, (120,), generator=g)])
    edges = torch.unique(edges, dim=1)
    history = History.from_edges(edges, torch.randint(1, 6, (edges.shape[1],), generator=g).float(), users, movies)
    items = torch.tensor([0, 2, 3, 5, 7, 8, 11, 12, 13, 16])  # 10 of the 17 movies
    return ItemItemScorer(history, items, torch.randn(len(items), len(items), generator=g))


def test_blocked_product_equals_the_plain_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scorers, "COLUMN_BLOCK", 3)  # 10 columns: blocks of 3, 3, 3 and 1
    scorer = _scorer()
    users = torch.arange(23)
    plain = scorer.history.dense(users)[:, scorer.items] @ scorer.weight
    assert torch.allclose(scorer.item_scores(users), plain, atol=1e-5)
    full = scorer.scores(users)
    assert torch.allclose(full[:, scorer.items], plain, atol=1e-5)
    others = torch.ones(17, dtype=torch.bool)
    others[scorer.items] = False
    assert bool(torch.isinf(full[:, others]).all())


@pytest.mark.parametrize("k", [4, 12])  # 12 > the 10 covered movies: the full path, padded with -inf
def test_top_k_on_the_covered_movies_equals_ranking_every_column(k: int) -> None:
    scorer = _scorer(seed=1)
    user_ids, movie_ids = [100 + i for i in range(23)], [1000 + j for j in range(17)]
    rated_pairs = [(user_ids[u], movie_ids[m]) for u, m in
                   zip(*[t.tolist() for t in torch.nonzero(scorer.history.dense(torch.arange(23)), as_tuple=True)],
                       strict=True)]
    exclude = torch.zeros(17, dtype=torch.bool)
    exclude[[3, 9]] = True  # one covered movie, one not
    full: Any = _Run(scorer, user_ids, movie_ids)  # the part of ScoringRun that top_k reads
    restricted: Any = _RestrictedRun(scorer, user_ids, movie_ids)
    rated = rated_index(full, rated_pairs)
    got = list(top_k(restricted, rated, k=k, exclude_movies=exclude, chunk_size=5))
    want = list(top_k(full, rated, k=k, exclude_movies=exclude, chunk_size=5))
    assert [len(c.users) for c in got] == [5, 5, 5, 5, 3]
    every = scorer.scores(torch.arange(23))
    for a, b in zip(got, want, strict=True):
        assert torch.equal(a.scores, b.scores)  # the same scores, best first (ties may pick other movies)
        finite = torch.isfinite(a.scores)
        picked = every[a.users.unsqueeze(1).expand_as(a.movies), a.movies]
        assert torch.equal(picked[finite], a.scores[finite])
        for row, ok in zip(a.movies.tolist(), finite.tolist(), strict=True):
            chosen = [m for m, f in zip(row, ok, strict=True) if f]
            assert len(set(chosen)) == len(chosen) and not {3, 9} & set(chosen)
    dense = scorer.history.dense(torch.arange(23))
    for c in got:
        for u, row, scores in zip(c.users.tolist(), c.movies.tolist(), c.scores.tolist(), strict=True):
            for m, s in zip(row, scores, strict=True):
                if not math.isinf(s):
                    assert dense[u, m] == 0  # never a rated movie
