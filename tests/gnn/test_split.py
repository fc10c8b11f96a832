"""Splits: exact sizes, disjoint, deterministic, and no leakage of held-out ratings into training."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch_geometric.data import HeteroData

from movierec.core.errors import NotFoundError, TrainError
from movierec.gnn.data.hetero import RATES, REV_RATES, USER
from movierec.gnn.data.split import SplitConfig, message_graph, read_test_pairs, split_edges
from movierec.gnn.models.registry import config_for
from movierec.gnn.training.train import train
from tests.gnn import tiny
from tests.gnn.tiny import tiny_data


def _pairs(data: HeteroData, edges: torch.Tensor) -> set[tuple[int, int]]:
    return {(int(u), int(m)) for u, m in data[RATES].edge_index[:, edges].T}


def test_random_split_sizes_disjoint_and_deterministic() -> None:
    data = tiny_data()
    split = split_edges(data, SplitConfig(seed=3))
    assert split.sizes() == {"train": 76, "val": 10, "test": 10}
    everything = torch.cat([split.train, split.val, split.test]).sort().values
    assert torch.equal(everything, torch.arange(96))
    again = split_edges(data, SplitConfig(seed=3))
    assert torch.equal(split.test, again.test) and torch.equal(split.val, again.val)
    assert not torch.equal(split.test, split_edges(data, SplitConfig(seed=4)).test)


def test_message_graph_holds_only_training_edges() -> None:
    data = tiny_data()
    split = split_edges(data, SplitConfig())
    graph = message_graph(data, split.train)
    seen = {(int(u), int(m)) for u, m in graph[RATES].edge_index.T}
    assert seen == _pairs(data, split.train)
    assert not seen & _pairs(data, split.test) and not seen & _pairs(data, split.val)
    assert {(int(m), int(u)) for m, u in graph[REV_RATES].edge_index.T} == {(m, u) for u, m in seen}
    assert graph[RATES].edge_label.tolist() == data[RATES].edge_label[split.train].tolist()


@pytest.mark.parametrize("model", ["sage", "lightgcn", "ease", "gfcf", "gcmc", "combined"])
def test_training_never_sees_test_ratings(model: str) -> None:
    """Move every test edge to another movie and change its rating: the trained model is bit-identical."""
    data = tiny_data()
    split = split_edges(data, SplitConfig())
    config = config_for(model, epochs=4, ensemble=1, hidden=8, device="cpu", batch_size=32,
                                   rating_head_epochs=5)
    first = train(data, split, config)
    tampered = data.clone()
    tampered[RATES].edge_index[1, split.test] = (tampered[RATES].edge_index[1, split.test] + 7) % 15
    tampered[RATES].edge_label[split.test] = 6.0 - tampered[RATES].edge_label[split.test]
    tampered[REV_RATES].edge_index = tampered[RATES].edge_index.flip(0)
    second = train(tampered, split, config)
    users = torch.arange(data[USER].num_nodes)
    assert torch.equal(first.rank.scores(users), second.rank.scores(users))
    a, b = first.rating, second.rating
    assert torch.equal(a.user, b.user) and torch.equal(a.movie, b.movie)
    assert torch.equal(a.user_bias, b.user_bias) and torch.equal(a.movie_bias, b.movie_bias)
    assert [row["loss"] for row in first.history] == [row["loss"] for row in second.history]


def test_temporal_split_holds_out_each_users_latest() -> None:
    data = tiny_data()
    split = split_edges(data, SplitConfig(method="temporal", val_fraction=0.125, test_fraction=0.125))
    assert split.sizes() == {"train": 72, "val": 12, "test": 12}
    users, time = data[RATES].edge_index[0], data[RATES].time
    for u in range(12):
        mine = users == u
        latest = time[mine].max()
        test_times = time[split.test][users[split.test] == u]
        assert test_times.tolist() == [int(latest)]
        assert time[split.train][users[split.train] == u].max() < time[split.val][users[split.val] == u].min()


def test_split_from_a_ratings_file(tmp_path: Path) -> None:
    data = tiny_data()
    rows = tiny.ratings()
    path = tmp_path / "u1.test"
    path.write_text("".join(f"{r['userId']}\t{r['movieId']}\t{r['rating']}\t{r['ts']}\n" for r in rows[:5])
                    + "99\t101\t3\t0\n")  # a user outside the graph is skipped
    pairs = read_test_pairs(path)
    assert pairs.shape == (2, 6)
    split = split_edges(data, SplitConfig(method="file", val_fraction=0.1), pairs)
    assert _pairs(data, split.test) == {(r["userId"] - 1, r["movieId"] - 101) for r in rows[:5]}
    assert split.sizes() == {"train": 82, "val": 9, "test": 5}
    csv = tmp_path / "ratings.csv"
    csv.write_text("userId,movieId,rating,timestamp\n1,104,4.0,1\n")
    assert read_test_pairs(csv).tolist() == [[1], [104]]
    dat = tmp_path / "ratings.dat"
    dat.write_text("1::104::4::1\n2::x::3::1\n")
    with pytest.raises(TrainError, match=r"ratings.dat:2: not a MovieLens rating line"):
        read_test_pairs(dat)
    with pytest.raises(NotFoundError, match="no ratings file at"):
        read_test_pairs(tmp_path / "missing.csv")
    with pytest.raises(TrainError, match="none of the 1 test pairs"):
        split_edges(data, SplitConfig(method="file"), torch.tensor([[50], [50]]))
