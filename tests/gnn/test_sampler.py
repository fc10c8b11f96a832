"""The plain-torch neighbour sampler behind `sage --minibatch` (PyG's loaders need pyg-lib/torch-sparse here)."""

from __future__ import annotations

import torch

from movierec.gnn.data.hetero import MOVIE, RATES, USER, rating_levels
from movierec.gnn.data.sampler import NeighborSampler
from movierec.gnn.data.split import SplitConfig, split_edges
from movierec.gnn.training.config import TrainConfig
from movierec.gnn.training.train import train
from tests.gnn.tiny import tiny_data


def test_sampled_subgraph_uses_training_edges_but_never_the_targets() -> None:
    data = tiny_data()
    split = split_edges(data, SplitConfig())
    ei, r = data[RATES].edge_index[:, split.train], data[RATES].edge_label[split.train]
    sampler = NeighborSampler(ei, r, data[USER].num_nodes, data[MOVIE].num_nodes, (2, 2), rating_levels(r))
    target = torch.tensor([0, 5, 9])
    batch = sampler.sample(target, torch.Generator().manual_seed(0))
    train_pairs = {(int(u), int(m)) for u, m in ei.T}
    target_pairs = {(int(u), int(m)) for u, m in ei[:, target].T}
    sampled = set()
    for (src, _, _), local in batch.edge_index_dict.items():
        if src == USER:
            sampled |= {(int(batch.user_nodes[u]), int(batch.movie_nodes[m])) for u, m in local.T}
    assert sampled and sampled <= train_pairs and not sampled & target_pairs
    assert {(int(batch.user_nodes[u]), int(batch.movie_nodes[m]))
            for u, m in zip(batch.target_user, batch.target_movie, strict=True)} == target_pairs
    # Fan-out: at most 2 edges per seed node in hop one, 2 per new node in hop two.
    assert len(sampled) <= 2 * (len(batch.user_nodes) + len(batch.movie_nodes))


def test_minibatch_sage_trains_and_is_deterministic() -> None:
    data = tiny_data()
    split = split_edges(data, SplitConfig())
    config = TrainConfig(minibatch=True, batch_size=16, epochs=3, ensemble=1, hidden=8, num_neighbors=(3, 2),
                         layers=2, device="cpu")
    rows: list[dict[str, object]] = []
    first, second = train(data, split, config, progress=rows.append), train(data, split, config)
    losses = [row["loss"] for row in first.history]
    assert len(losses) == 3 and losses[-1] < losses[0]
    assert losses == [row["loss"] for row in second.history]
    # progress: every step but an epoch's last reports "batch i/n"; then the epoch's history row
    batches = -(-len(split.train) // 16)
    steps = [row for row in rows if "batch" in row]
    assert [row["batch"] for row in steps] == list(range(1, batches)) * 3
    assert {row["batches"] for row in steps} == {batches}
    assert [row for row in rows if "batch" not in row] == first.history
