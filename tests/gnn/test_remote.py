"""PyG's own loaders over the Neo4j remote backend (``gnn/data/remote/``), on a real Neo4j: the stores number nodes and
edges as the export does, every sampled message edge is a real RATED, and the same seed gives the same batches from
Neo4j as from the exported HeteroData."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch_geometric.data import HeteroData
from torch_geometric.loader import LinkLoader, NodeLoader

from movierec.core.db import Graph
from movierec.core.settings import Neo4jSettings
from movierec.gnn.data.export import export_graph
from movierec.gnn.data.hetero import MOVIE, RATES, REV_RATES, USER
from movierec.gnn.data.remote import Neo4jFeatureStore, Neo4jGraphStore, Neo4jNeighborSampler
from movierec.ingest.load import ingest_release
from tests.fixtures import two_communities

pytestmark = pytest.mark.neo4j


@pytest.fixture()
def stores(graph: Graph, tmp_path: Path) -> tuple[Neo4jFeatureStore, Neo4jGraphStore, HeteroData]:
    ingest_release(graph, two_communities(tmp_path / "release"), dataset="ml-latest-small")
    gs = Neo4jGraphStore(graph)
    data, _ = export_graph(graph)
    return Neo4jFeatureStore(graph, gs, cache_size=8), gs, data


def test_the_stores_number_nodes_and_edges_as_the_export_and_fetch_its_features(
    stores: tuple[Neo4jFeatureStore, Neo4jGraphStore, HeteroData],
) -> None:
    fs, gs, data = stores
    for edge_type in (RATES, REV_RATES):
        row, col = gs.get_edge_index(edge_type=edge_type, layout="coo")
        assert torch.equal(torch.stack([row, col]), data[edge_type].edge_index)
    rowptr, col = gs.get_edge_index(edge_type=RATES, layout="csr")
    assert rowptr.numel() == data[USER].num_nodes + 1 and torch.equal(col, data[RATES].edge_index[1])
    row, colptr = gs.get_edge_index(edge_type=RATES, layout="csc")
    assert colptr.numel() == data[MOVIE].num_nodes + 1 and int(colptr[-1]) == data[RATES].edge_index.size(1)
    assert torch.equal(fs["user", "node_id", None], data[USER].node_id)
    assert torch.equal(fs["movie", "node_id", torch.tensor([3, 0])], data[MOVIE].node_id[[3, 0]])
    every = torch.arange(data[MOVIE].num_nodes)
    assert torch.allclose(fs["movie", "x", every], data[MOVIE].x, atol=1e-5)
    assert torch.allclose(fs["movie", "x", every], data[MOVIE].x, atol=1e-5)  # again, through the cache (8 rows)
    assert fs.movie_cache.hits > 0 and len(fs.movie_cache) == 8
    prefetched = Neo4jFeatureStore(fs.graph, gs)  # every movie fits in the default cache: fetched up front
    assert len(prefetched.movie_cache) == data[MOVIE].num_nodes
    assert torch.allclose(prefetched["movie", "x", every], data[MOVIE].x, atol=1e-5)
    assert prefetched.movie_cache.misses == data[MOVIE].num_nodes  # the prefetch's, none since
    edges = torch.tensor([5, 0, 17, 5])
    assert torch.equal(fs[RATES, "edge_label", edges], data[RATES].edge_label[edges])
    assert torch.equal(fs[RATES, "time", edges], data[RATES].time[edges])
    # ratings fetched per batch from Neo4j instead of read with the topology: the same values, through the cache
    remote = Neo4jFeatureStore(fs.graph, Neo4jGraphStore(fs.graph, ratings="remote"), cache_size=3)
    assert remote.gs.edge_label is None and torch.equal(remote.gs.edge_index, gs.edge_index)
    for _ in range(2):
        assert torch.equal(remote[RATES, "edge_label", edges], data[RATES].edge_label[edges])
        assert torch.equal(remote[RATES, "time", edges], data[RATES].time[edges])
    assert remote.edge_cache.hits > 0 and len(remote.edge_cache) == 3
    assert fs.get_tensor_size(MOVIE, "x") == tuple(data[MOVIE].x.shape)


def test_pyg_loaders_sample_real_ratings_from_neo4j(
    graph: Graph, stores: tuple[Neo4jFeatureStore, Neo4jGraphStore, HeteroData],
) -> None:
    fs, gs, data = stores
    sampler = Neo4jNeighborSampler(gs, num_neighbors=[2, 2])
    sampled: set[tuple[int, int]] = set()
    nodes = NodeLoader((fs, gs), node_sampler=sampler, input_nodes=USER, batch_size=4)
    for batch in nodes:
        assert batch[USER].batch_size <= 4 and batch[MOVIE].x.size(1) == data[MOVIE].x.size(1)
        for edge_type in (RATES, REV_RATES):
            src_t, dst_t = edge_type[0], edge_type[-1]
            local = batch[edge_type].edge_index
            pairs = torch.stack([batch[src_t].n_id[local[0]], batch[dst_t].n_id[local[1]]])
            ids = torch.stack([batch[src_t].node_id[local[0]], batch[dst_t].node_id[local[1]]])
            # each message edge is the store's edge e_id, between the nodes it names
            coo = torch.stack(gs.get_edge_index(edge_type=edge_type, layout="coo"))
            assert torch.equal(pairs, coo[:, batch[edge_type].e_id])
            user_ids, movie_ids = (ids[0], ids[1]) if edge_type == RATES else (ids[1], ids[0])
            sampled |= set(zip(user_ids.tolist(), movie_ids.tolist(), strict=True))
        # at most 2 sampled incoming edges per node and hop: a seed user has at most 2 movies in hop 1
        seeds = batch[USER].n_id[: batch[USER].batch_size]
        assert seeds.numel() == batch[USER].input_id.numel()
    real = graph.read("UNWIND $pairs AS p MATCH (:User {userId: p[0]})-[r:RATED]->(:Movie {movieId: p[1]}) "
                      "RETURN count(r) AS n", pairs=[list(p) for p in sampled])[0]["n"]
    assert sampled and real == len(sampled)  # every sampled message edge is a real RATED
    links = LinkLoader((fs, gs), link_sampler=sampler, edge_label_index=(RATES, data[RATES].edge_index),
                       neg_sampling="binary", batch_size=8, shuffle=True)
    for batch in links:
        label = batch[RATES].edge_label
        assert label.numel() == 2 * batch[RATES].input_id.numel() and set(label.tolist()) <= {0.0, 1.0}
        index = batch[RATES].edge_label_index
        assert int(index[0].max()) < batch[USER].n_id.numel() and int(index[1].max()) < batch[MOVIE].n_id.numel()


def test_the_same_seed_gives_the_same_batches_from_neo4j_as_from_the_export(
    stores: tuple[Neo4jFeatureStore, Neo4jGraphStore, HeteroData],
) -> None:
    fs, gs, data = stores
    del data[MOVIE].title  # a list, which PyG's loaders cannot slice per batch (the export keeps it for pictures)
    train = torch.rand(data[RATES].edge_index.size(1), generator=torch.Generator().manual_seed(0)) < 0.8
    remote = Neo4jNeighborSampler(gs, [3, 2], message_edges={RATES: train, REV_RATES: train})
    memory = Neo4jNeighborSampler(data, [3, 2], message_edges={RATES: train, REV_RATES: train})

    def batches(source: object, sampler: Neo4jNeighborSampler) -> list[HeteroData]:
        torch.manual_seed(7)
        loader = LinkLoader(source, link_sampler=sampler, edge_label_index=(RATES, data[RATES].edge_index[:, ~train]),
                            neg_sampling="binary", batch_size=5, shuffle=True)
        return list(loader)

    from_neo4j, from_memory = batches((fs, gs), remote), batches(data, memory)
    assert len(from_neo4j) == len(from_memory) > 1
    assert sum(b[RATES].e_id.numel() for b in from_neo4j) > 10  # batches with messages, not empty ones
    for a, b in zip(from_neo4j, from_memory, strict=True):
        for node_type in (USER, MOVIE):
            assert torch.equal(a[node_type].n_id, b[node_type].n_id)
            assert torch.equal(a[node_type].node_id, b[node_type].node_id)
        assert torch.allclose(a[MOVIE].x, b[MOVIE].x, atol=1e-5)
        for edge_type in (RATES, REV_RATES):
            assert torch.equal(a[edge_type].edge_index, b[edge_type].edge_index)
            assert torch.equal(a[edge_type].e_id, b[edge_type].e_id)
            assert bool(train[a[edge_type].e_id].all())  # held-out ratings never carry messages
        assert torch.equal(a[RATES].edge_label_index, b[RATES].edge_label_index)
        assert torch.equal(a[RATES].edge_label, b[RATES].edge_label)


def test_each_node_draws_up_to_k_distinct_edges_uniformly() -> None:
    from movierec.gnn.data.remote.sampler import _draw

    colptr = torch.tensor([0, 5, 6, 6, 9])  # degrees 5, 1, 0, 3
    dst = torch.tensor([0, 1, 2, 3])
    torch.manual_seed(0)
    seen = torch.zeros(9)
    for _ in range(2000):
        position, of = _draw(colptr, dst, 2)
        assert of.tolist() == [0, 0, 1, 3, 3]  # min(degree, k) each, node by node
        for node in (0, 3):
            mine = position[of == node]
            assert mine.unique().numel() == 2 and torch.equal(mine, mine.sort().values)
            assert bool(((mine >= colptr[node]) & (mine < colptr[node + 1])).all())
        assert position[of == 1].tolist() == [5]
        seen[position] += 1
    assert torch.allclose(seen[:5] / 2000, torch.full((5,), 2 / 5), atol=0.05)  # uniform without replacement
    assert torch.allclose(seen[6:] / 2000, torch.full((3,), 2 / 3), atol=0.05)


def test_train_sage_from_the_neo4j_stores_without_an_export(graph: Graph, neo4j_env: dict[str, str],
                                                            tmp_path: Path) -> None:
    import json

    from click.testing import CliRunner

    from movierec.cli import cli

    ingest_release(graph, two_communities(tmp_path / "release"), dataset="ml-latest-small")
    runs = tmp_path / "runs"
    args = ["train", "--model", "sage", "--loader", "neo4j", "--ensemble", "1", "--epochs", "2", "--batch-size", "8",
            "--num-neighbors", "3,2", "--device", "cpu", "--runs-dir", str(runs), "-q"]
    result = CliRunner().invoke(cli, args, env=neo4j_env)
    assert result.exit_code == 0, result.output
    (run,) = runs.iterdir()
    config = json.loads((run / "config.json").read_text())["config"]
    assert config["loader"] == "neo4j" and config["minibatch"] is True
    history = (run / "history.csv").read_text().splitlines()
    assert len(history) == 3  # a header and two epochs, each with a validation RMSE
    wrong = CliRunner().invoke(cli, ["train", "--model", "ease", "--loader", "neo4j", "-q"], env=neo4j_env)
    assert wrong.exit_code == 2 and "ease trains from --loader memory, not neo4j" in wrong.output
    with_file = CliRunner().invoke(cli, ["train", "--model", "sage", "--loader", "neo4j", "--data", "x.pt", "-q"],
                                   env=neo4j_env)
    assert with_file.exit_code == 2 and "drop --data" in with_file.output


def test_loader_workers_open_their_own_connections(graph: Graph, neo4j_settings: Neo4jSettings,
                                                    tmp_path: Path) -> None:
    ingest_release(graph, two_communities(tmp_path / "release"), dataset="ml-latest-small")
    gs = Neo4jGraphStore(graph)
    data, _ = export_graph(graph)
    lone = Neo4jFeatureStore(graph, gs, prefetch=False)  # no prefetch: the workers fetch
    fs = Neo4jFeatureStore(graph, gs, settings=neo4j_settings, prefetch=False)
    sampler = Neo4jNeighborSampler(gs, [2, 2])
    for store, works in ((fs, True), (lone, False)):
        loader = LinkLoader((store, gs), link_sampler=sampler, edge_label_index=(RATES, data[RATES].edge_index),
                            neg_sampling="binary", batch_size=8, num_workers=2)
        if not works:  # a worker without settings says what to do
            with pytest.raises(Exception, match="needs its own connection"):
                list(loader)
            continue
        batches = list(loader)
        assert len(batches) == 6
        for batch in batches:  # features fetched in the workers, each over its own driver
            assert torch.allclose(batch[MOVIE].x, data[MOVIE].x[batch[MOVIE].n_id], atol=1e-5)
    assert graph.read("MATCH (m:Movie) RETURN count(m) AS n")[0]["n"] == data[MOVIE].num_nodes  # ours still works


def test_a_rating_written_while_training_reaches_the_sampler(graph: Graph, tmp_path: Path) -> None:
    from movierec.ingest.rate import rate_movie

    ingest_release(graph, two_communities(tmp_path / "release"), dataset="ml-latest-small")
    gs = Neo4jGraphStore(graph)
    fs = Neo4jFeatureStore(graph, gs)
    held_out = torch.zeros(gs.edge_index.size(1), dtype=torch.bool)
    held_out[:5] = True  # "validation" ratings: never messages, before or after the refresh
    sampler = Neo4jNeighborSampler(gs, [50], message_edges={RATES: ~held_out, REV_RATES: ~held_out})
    before = gs.edge_index.size(1)
    assert gs.refresh(graph) == 0  # nothing changed: nothing read again
    user = int(gs.user_ids[0])
    movie = next(int(m) for m in gs.movie_ids if (user, int(m)) not in set(zip(
        gs.user_ids[gs.edge_index[0].numpy()].tolist(), gs.movie_ids[gs.edge_index[1].numpy()].tolist(), strict=True)))
    rate_movie(graph, user, movie, 4.5)  # while "training": `movierec rate`'s library call
    first = int(gs.edge_index[0].tolist().index(0))
    rate_movie(graph, user, int(gs.movie_ids[gs.edge_index[1, first]]), 1.0)  # and a changed rating
    assert gs.refresh(graph) == 1 and gs.edge_index.size(1) == before + 1
    new = before  # the new edge's id: after the existing ones
    assert (int(gs.user_ids[gs.edge_index[0, new]]), int(gs.movie_ids[gs.edge_index[1, new]])) == (user, movie)
    assert float(fs[RATES, "edge_label", torch.tensor([new, first])][0]) == 4.5
    assert float(fs[RATES, "edge_label", torch.tensor([first])][0]) == 1.0
    sampler.refresh(gs, {RATES: ~held_out, REV_RATES: ~held_out})
    batch = next(iter(NodeLoader((fs, gs), node_sampler=sampler, input_nodes=(USER, torch.tensor([0])),
                                 batch_size=1)))
    sampled = set(batch[REV_RATES].e_id.tolist())  # the user's movies, all of them (50 > its ratings)
    assert new in sampled and not (sampled & set(range(5)))


def test_on_ml_latest_small_both_loaders_sample_real_ratings_and_equal_the_export(graph: Graph, ml_latest_small: Path
                                                                           ) -> None:
    ingest_release(graph, ml_latest_small, dataset="ml-latest-small")
    gs = Neo4jGraphStore(graph)
    fs = Neo4jFeatureStore(graph, gs)
    data, _ = export_graph(graph)
    del data[MOVIE].title
    assert gs.edge_index.size(1) == 100_836 and torch.equal(gs.edge_index, data[RATES].edge_index)
    targets = data[RATES].edge_index[:, :3_000]

    def first_batches(source: object) -> list[HeteroData]:
        torch.manual_seed(3)
        sampler = Neo4jNeighborSampler(gs if isinstance(source, tuple) else data, [10, 5])
        loader = LinkLoader(source, link_sampler=sampler, edge_label_index=(RATES, targets), neg_sampling="binary",
                            batch_size=1_000, shuffle=True)
        return list(loader)

    remote, memory = first_batches((fs, gs)), first_batches(data)
    pairs: set[tuple[int, int]] = set()
    for a, b in zip(remote, memory, strict=True):
        assert torch.equal(a[RATES].e_id, b[RATES].e_id) and torch.equal(a[MOVIE].n_id, b[MOVIE].n_id)
        assert torch.allclose(a[MOVIE].x, b[MOVIE].x, atol=1e-5)
        local = a[RATES].edge_index
        pairs |= set(zip(a[USER].node_id[local[0]].tolist(), a[MOVIE].node_id[local[1]].tolist(), strict=True))
    users = NodeLoader((fs, gs), node_sampler=Neo4jNeighborSampler(gs, [10, 5]), input_nodes=USER, batch_size=200)
    for batch in users:  # every user of the release, as a seed once
        local = batch[REV_RATES].edge_index  # movie -> user
        pairs |= set(zip(batch[USER].node_id[local[1]].tolist(), batch[MOVIE].node_id[local[0]].tolist(), strict=True))
        assert torch.equal(batch[USER].node_id, torch.from_numpy(gs.user_ids)[batch[USER].n_id])
    assert len(pairs) > 10_000
    real = graph.read("UNWIND $pairs AS p MATCH (:User {userId: p[0]})-[r:RATED]->(:Movie {movieId: p[1]}) "
                      "RETURN count(r) AS n", pairs=[list(p) for p in pairs])[0]["n"]
    assert real == len(pairs)  # every sampled message edge, named by userId and movieId, is a real RATED
