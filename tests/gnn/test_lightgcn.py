"""LightGCN's softmax: the sampled path against a brute-force softmax over the same draws, and the path by size."""

from __future__ import annotations

import math

import pytest
import torch

from movierec.core.errors import TrainError
from movierec.gnn.models.lightgcn import FULL_SOFTMAX_MAX_MOVIES, _sampled_log_p, softmax_path
from movierec.gnn.models.registry import config_for


def test_the_sampled_softmax_corrects_for_popularity_and_takes_each_positives_own_draws_out() -> None:
    g = torch.Generator().manual_seed(0)
    zu, em, bias = torch.randn(3, 4, generator=g), torch.randn(6, 4, generator=g), torch.randn(6, generator=g)
    rows, movies = torch.tensor([0, 0, 1, 2, 2]), torch.tensor([0, 5, 0, 1, 5])
    q = torch.tensor([0.4, 0.1, 0.1, 0.1, 0.1, 0.2])  # movie 0 popular: often drawn, often its own negative
    config = config_for("lightgcn", negatives=40, temperature=0.5)
    got = _sampled_log_p(zu, em, bias, rows, movies, q, config, torch.Generator().manual_seed(7))
    drawn = torch.multinomial(q, 40, replacement=True, generator=torch.Generator().manual_seed(7)).tolist()
    assert drawn.count(0) > 0 and drawn.count(5) > 0  # the accidental hits the test is about
    for p, (u, m) in enumerate(zip(rows.tolist(), movies.tolist(), strict=True)):
        def logit(j: int, u: int = u) -> float:
            return float(zu[u] @ em[j]) / 0.5 + float(bias[j])
        negatives = [logit(j) - math.log(40 * float(q[j])) for j in drawn if j != m]
        expected = logit(m) - math.log(math.exp(logit(m)) + sum(math.exp(v) for v in negatives))
        assert float(got[p]) == pytest.approx(expected, abs=1e-4)


def test_the_softmax_is_full_up_to_a_size_then_sampled_unless_forced() -> None:
    config = config_for("lightgcn")
    assert config.softmax == "auto"
    assert softmax_path(config, 9_742) == "full" and softmax_path(config, FULL_SOFTMAX_MAX_MOVIES) == "full"
    assert softmax_path(config, FULL_SOFTMAX_MAX_MOVIES + 1) == "sampled"
    assert softmax_path(config_for("lightgcn", softmax="sampled"), 10) == "sampled"
    assert softmax_path(config_for("lightgcn", softmax="full"), 100_000) == "full"
    with pytest.raises(TrainError, match="unknown softmax 'half' \\(use auto, full or sampled\\)"):
        softmax_path(config_for("lightgcn", softmax="half"), 10)
