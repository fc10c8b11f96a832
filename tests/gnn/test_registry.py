"""A model is one file plus one line: a model defined here, registered, goes through the CLI's own code paths.

``Popular`` ranks every movie by its training ratings and predicts ratings with the bias baseline, so what each
stage must give is known independently: its ranking metrics equal the popularity peer's, its RMSE the bias peer's,
its RECOMMENDED the most-rated movies each user has not rated.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import pytest
import torch
from click.testing import CliRunner
from torch_geometric.data import HeteroData

from movierec import cypher
from movierec.cli import cli
from movierec.core.db import Graph
from movierec.gnn.data.hetero import MOVIE, USER
from movierec.gnn.data.split import EdgeSplit
from movierec.gnn.models import registry
from movierec.gnn.models.base import EpochCallback, Model, SavedRun, TrainResult, edges_of
from movierec.gnn.models.bias import bias
from movierec.gnn.models.scorers import LinearScorer, Scorer
from movierec.gnn.serving.foldin import FoldIn, UserRatings
from movierec.gnn.training.rebuild import rebuild
from movierec.gnn.training.run_dir import load_run
from tests.gnn import tiny


class Popular(Model):
    """The most-rated movies first; the bias baseline's ratings. Embeddings ``[1, 0]`` per user, ``[n_m, 1]``."""

    name: ClassVar[str] = "popular"
    summary: ClassVar[str] = "the most-rated movies (a test model)"
    defaults: ClassVar[dict[str, Any]] = {"epochs": 1}

    def fit(self, data: HeteroData, split: EdgeSplit, device: torch.device,
            progress: EpochCallback | None = None) -> TrainResult:
        train_ei, train_r = edges_of(data, split.train, torch.device("cpu"))
        counts = torch.bincount(train_ei[1], minlength=data[MOVIE].num_nodes).float()
        rank, rating = self._scorers(counts, train_ei, train_r, data[USER].num_nodes)
        row = {"member": 0, "epoch": 1, "loss": 0.0, "seconds": 0.0}
        if progress is not None:
            progress(row)
        return TrainResult(rank, rating, (float(train_r.min()), float(train_r.max())), history=[row],
                           weights={"popular": {"counts": counts}})

    def rebuild(self, run: SavedRun) -> tuple[Scorer, LinearScorer]:
        edge_index, rating, split = run.split()
        return self._scorers(run.weights()["popular"]["counts"], edge_index[:, split.train], rating[split.train],
                             len(run.user_ids))

    @staticmethod
    def _scorers(counts: torch.Tensor, train_ei: torch.Tensor, train_r: torch.Tensor,
                 num_users: int) -> tuple[LinearScorer, LinearScorer]:
        num_movies = len(counts)
        user = torch.tensor([[1.0, 0.0]]).repeat(num_users, 1)
        movie = torch.stack([counts, torch.ones(num_movies)], dim=1)
        rank = LinearScorer(user, movie, torch.zeros(num_users), torch.zeros(num_movies), 0.0)
        return rank, bias(train_ei, train_r, num_users, num_movies)


@pytest.fixture
def popular(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry.MODELS, Popular.name, Popular)  # the one line


def _cli(*args: str, env: dict[str, str] | None = None) -> str:
    result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_a_registered_model_trains_evaluates_writes_back_rebuilds_and_folds_in(
    popular: None, graph: Graph, neo4j_env: dict[str, str], tmp_path: Path
) -> None:
    tiny.create(graph)
    out = _cli("train", "--model", "popular", "--runs-dir", str(tmp_path), "--device", "cpu", "-q", env=neo4j_env)
    path = Path(out.splitlines()[0].split(" written to ")[1])
    assert path.name.endswith("-popular") and out.splitlines()[1].endswith("(1 epochs, 0.00 s/epoch)")
    run = load_run(path)
    assert run.model == "popular" and run.config.epochs == 1

    # evaluate: the same split, so its rows equal the peers it is made of
    lines = _cli("evaluate", str(path), "-q").splitlines()
    rows = {line.split()[0]: line.split()[1:] for line in lines[2:9]}
    assert list(rows)[0] == "popular"
    assert rows["popular"][:2] == rows["bias"][:2]  # RMSE, MAE
    assert rows["popular"][2:] == rows["popularity"][2:]  # Recall, NDCG, HitRate

    # rebuild: the same scorers from the saved weights
    rank, rating = rebuild(run)
    users = torch.arange(len(run.user_ids))
    assert torch.equal(rank.scores(users), run.score(users))
    pairs = (users.repeat_interleave(len(run.movie_ids)), torch.arange(len(run.movie_ids)).repeat(len(users)))
    assert torch.equal(rating.pairs(*pairs), run.rating_scorer.pairs(*pairs))

    # writeback: each user's RECOMMENDED are the most-rated movies they have not rated
    _cli("writeback", str(path), "--k", "3", "-q", env=neo4j_env)
    counts = dict(zip(run.movie_ids, run.weights()["popular"]["counts"].tolist(), strict=True))
    rated: dict[int, set[int]] = {}
    for r in tiny.ratings():
        rated.setdefault(r["userId"], set()).add(r["movieId"])
    for user_id, seen in rated.items():
        got = [row["movieId"] for row in graph.read(cypher.load("recommend_for_user"), userId=user_id, k=3,
                                                        genre=None)]
        unrated = sorted((counts[m] for m in counts if m not in seen), reverse=True)
        assert len(got) == 3 and not set(got) & seen
        assert sorted((counts[m] for m in got), reverse=True) == unrated[:3]

    # fold-in: a new user is recommended the most-rated movies too
    fresh = FoldIn(run, prior_weight=0.0).recommend([UserRatings(999, [101], [5.0])], k=2)[0]
    best = sorted((m for m in counts if m != 101), key=lambda m: -counts[m])
    assert sorted(counts[m] for m in fresh.movie_ids) == sorted(counts[m] for m in best[:2])


def test_an_unregistered_model_is_one_line(graph: Graph, neo4j_env: dict[str, str], tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["train", "--model", "popular", "--runs-dir", str(tmp_path), "-q"],
                                env=neo4j_env)
    assert result.exit_code == 2 and "Invalid value for '--model': 'popular' is not one of" in result.output
