"""``combined``: a run in parts. Each part is exactly what its own model gives; the run says which model gave which."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from movierec.cli import cli
from movierec.core.db import Graph
from movierec.core.errors import TrainError
from movierec.gnn.data.hetero import MOVIE, RATES, USER
from movierec.gnn.data.split import SplitConfig, split_edges
from movierec.gnn.models.combined import Combined
from movierec.gnn.models.registry import config_for, model_class
from movierec.gnn.models.scorers import History
from movierec.gnn.serving.writeback import write_back
from movierec.gnn.training.run_dir import load_run
from movierec.gnn.training.train import train
from tests.gnn import tiny
from tests.gnn.tiny import tiny_data

QUICK = {"epochs": 4, "device": "cpu", "seed": 2}


def test_each_part_is_what_its_own_model_gives_and_each_model_trains_once() -> None:
    data = tiny_data()
    split = split_edges(data, SplitConfig())
    combined = train(data, split, config_for("combined", **QUICK))
    ranker = train(data, split, config_for("lightgcn", **QUICK))
    rating = train(data, split, config_for("gcmc", **QUICK))
    users = torch.arange(data[USER].num_nodes)
    assert torch.equal(combined.rank.scores(users), ranker.rank.scores(users))
    assert torch.equal(combined.rating.scores(users), rating.rating.scores(users))
    assert torch.equal(combined.embeddings()[1], rating.embeddings()[1])  # gcmc's movie vectors q_m
    assert combined.extra["parts"] == {"ranker": "lightgcn", "rating_model": "gcmc", "embedding_model": "gcmc"}
    assert {row["member"] for row in combined.history} == {"lightgcn", "gcmc"}
    assert len(combined.history) == len(ranker.history) + len(rating.history)
    # gcmc ranking and predicting: trained once
    alone = train(data, split, config_for("combined", ranker="gcmc", **QUICK))
    assert {row["member"] for row in alone.history} == {"gcmc"} and len(alone.history) == len(rating.history)


def test_fold_in_goes_to_each_parts_own_fold_in() -> None:
    data = tiny_data()
    split = split_edges(data, SplitConfig())
    config = config_for("combined", **QUICK)
    result = train(data, split, config)
    model = Combined(config)
    edge_index, rating = data[RATES].edge_index[:, :20], data[RATES].edge_label[:20]
    rows = History.from_edges(edge_index, rating, data[USER].num_nodes, data[MOVIE].num_nodes, "rating")
    lightgcn = model_class("lightgcn")(config_for("lightgcn", **QUICK))
    assert torch.equal(model.fold_in(result.rank, rows), lightgcn.fold_in(result.rank, rows))
    gcmc = model_class("gcmc")(config_for("gcmc", **QUICK))
    ours = model.fold_in_ratings(result.rating, edge_index, rating, data[USER].num_nodes)
    theirs = gcmc.fold_in_ratings(result.rating, edge_index, rating, data[USER].num_nodes)
    assert torch.equal(ours.user, theirs.user) and torch.equal(ours.user_bias, theirs.user_bias)


def test_a_part_must_be_a_model_and_part_options_need_the_combined_model(tmp_path: Path) -> None:
    data = tiny_data()
    split = split_edges(data, SplitConfig())
    for bad in ("combined", "pagerank"):
        with pytest.raises(TrainError, match=f"--rating-model '{bad}' is not a model \\(known: ease, gfcf, "):
            train(data, split, config_for("combined", rating_model=bad, **QUICK))
    from movierec.gnn.data.export import save_heterodata

    save_heterodata(data, tmp_path / "g.pt")
    result = CliRunner().invoke(cli, ["train", "--data", str(tmp_path / "g.pt"), "--model", "ease", "--ranker",
                                      "lightgcn", "-q"])
    assert result.exit_code == 2
    assert "--ranker only apply to --model combined (not ease)" in result.output


def test_a_written_back_combined_run_names_its_parts(graph: Graph, neo4j_env: dict[str, str],
                                                     tmp_path: Path) -> None:
    tiny.create(graph)
    result = CliRunner().invoke(cli, ["train", "--model", "combined", "--embedding-model", "lightgcn", "--epochs",
                                      "3", "--device", "cpu", "--runs-dir", str(tmp_path), "-q"], env=neo4j_env,
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    run = load_run(result.output.splitlines()[0].split(" written to ")[1])
    meta = json.loads((run.path / "config.json").read_text(encoding="utf-8"))
    assert (meta["config"]["ranker"], meta["config"]["rating_model"], meta["config"]["embedding_model"]) == (
        "lightgcn", "gcmc", "lightgcn")
    assert (run.path / "curve.png").stat().st_size > 0 and (run.path / "history.csv").read_text().count("gcmc") > 0
    write_back(graph, run, k=5)
    runs = CliRunner().invoke(cli, ["runs"], env=neo4j_env, catch_exceptions=False)
    assert "combined (ranker lightgcn, ratings gcmc, embeddings lightgcn)" in runs.output
    # what each part serves: lightgcn's embeddings on the Movie nodes, gcmc's factors in the rating model
    (row,) = graph.read("MATCH (m:Movie {movieId: $id}) RETURN m.embedding AS e, m.ratingFactors AS f",
                        id=run.movie_ids[0])
    assert row["e"] == pytest.approx(run.movie_embedding[0].tolist(), abs=1e-6)
    assert len(row["e"]) == 128 and len(row["f"]) == 256
