"""`movierec train` / `evaluate` end to end on a tiny graph in the real Neo4j, on CPU; bad input is one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from movierec.cli import cli
from movierec.core.db import Graph
from movierec.gnn.data.split import SplitConfig
from movierec.gnn.evaluation.metrics import ranking_metrics
from movierec.gnn.models.registry import config_for
from movierec.gnn.training.config import TrainConfig
from movierec.gnn.training.rebuild import rebuild
from movierec.gnn.training.run_dir import load_run
from tests.gnn import tiny

FILES = {"config.json", "weights.pt", "ids.json", "scoring.pt", "embeddings.pt", "split.pt", "features.pt",
         "history.csv", "metrics.json", "curve.png", "similar.pt", "movies.png"}


def _train(env: dict[str, str], runs: Path, *args: str) -> Path:
    result = CliRunner().invoke(cli, ["train", "--runs-dir", str(runs), "--device", "cpu", "-q", *args], env=env,
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[0]
    assert first.startswith("run ") and " written to " in first
    return Path(first.split(" written to ")[1])


def test_train_sage_writes_the_run_directory(graph: Graph, neo4j_env: dict[str, str], tmp_path: Path) -> None:
    tiny.create(graph)
    path = _train(neo4j_env, tmp_path / "runs", "--model", "sage", "--epochs", "3", "--ensemble", "2",
                  "--hidden", "8", "--seed", "1")
    assert path.parent == tmp_path / "runs" and path.name.endswith("-sage")
    assert {p.name for p in path.iterdir()} == FILES
    run = load_run(path)
    assert (run.model, run.run_id, run.path) == ("sage", path.name, path)
    assert run.config == config_for("sage", hidden=8, ensemble=2, epochs=3, seed=1, device="cpu",
                                               split=SplitConfig(seed=1))
    assert run.user_ids == list(range(1, 13)) and run.movie_ids == list(range(101, 116))
    assert set(run.metrics) >= {"rmse", "mae", "recall@10", "ndcg@10", "hitrate@10"}
    scores = run.score(torch.arange(12))
    assert scores.shape == (12, 15)
    ratings = run.predict_rating(torch.arange(12).repeat_interleave(15), torch.arange(15).repeat(12))
    assert ratings.shape == (180,) and float(ratings.min()) >= 0.5 and float(ratings.max()) <= 5.0
    users, movies = run.embeddings()
    assert users.dtype == torch.float32 and users.shape == (12, 16) and movies.shape == (15, 16)  # 2 members × 8
    history = (path / "history.csv").read_text().splitlines()
    assert history[0] == "member,epoch,loss,val_rmse,seconds" and len(history) == 1 + 6
    assert (path / "curve.png").read_bytes()[:4] == (path / "movies.png").read_bytes()[:4] == b"\x89PNG"
    # Same seed on CPU: the same numbers.
    again = load_run(_train(neo4j_env, tmp_path / "runs", "--model", "sage", "--epochs", "3", "--ensemble", "2",
                            "--hidden", "8", "--seed", "1"))
    assert again.run_id != run.run_id
    assert again.metrics["rmse"] == run.metrics["rmse"]
    assert torch.equal(again.score(torch.arange(12)), scores)


def test_train_lightgcn_and_evaluate_with_baselines(graph: Graph, neo4j_env: dict[str, str], tmp_path: Path) -> None:
    tiny.create(graph)
    path = _train(neo4j_env, tmp_path, "--model", "lightgcn", "--epochs", "2", "--hidden", "8", "--batch-size", "32",
                  "--where", "user in (1,2,3,4,5,6,7,8)")
    run = load_run(path)
    assert run.model == "lightgcn" and run.user_ids == list(range(1, 9))
    assert run.score(torch.tensor([0, 1])).shape == (2, len(run.movie_ids))
    out = tmp_path / "m.json"
    result = CliRunner().invoke(cli, ["evaluate", str(path), "--metrics-out", str(out), "-q"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["model", "RMSE", "MAE", "Recall@10", "NDCG@10", "HitRate@10"]
    assert [line.split()[0] for line in lines[2:10]] == ["lightgcn", "global_mean", "bias", "mf", "popularity",
                                                         "ease_binary", "itemknn", "als"]
    assert lines[6].split()[1:3] == ["-", "-"]  # popularity, EASE and ItemKNN predict no ratings
    report = json.loads(out.read_text())
    assert set(report["model"]) >= {"rmse", "mae", "recall@10", "ndcg@10"}
    assert set(report["baselines"]) == {"global_mean", "bias", "mf", "popularity", "ease_binary", "itemknn", "als"}
    assert all({"rmse", "mae", "recall@10", "ndcg@10"} <= set(b) for b in report["baselines"].values())
    # the EASE peer, recomputed here from its textbook formula on the run's own training edges
    note = report["notes"]["ease_binary"]
    assert note.startswith("the EASE peer (Steck 2019) on the binary graph, λ=") and note.endswith(" on validation")
    assert lines[10] == f"  ease_binary: {note}"
    lam = float(note.split("λ=")[1].split()[0])
    edge_index, rating, split = run.split()
    x = torch.zeros(len(run.user_ids), len(run.movie_ids), dtype=torch.float64)
    x[edge_index[0, split.train], edge_index[1, split.train]] = 1.0
    p = torch.linalg.inv(x.T @ x + lam * torch.eye(x.size(1), dtype=torch.float64))
    b = -p / p.diagonal()
    b.diagonal().zero_()
    expected = ranking_metrics(lambda users: (x[users] @ b).float(), edge_index[:, split.train],
                               edge_index[:, split.test], rating[split.test], len(run.movie_ids))
    assert report["baselines"]["ease_binary"]["ndcg@10"] == pytest.approx(expected["ndcg@10"], abs=1e-4)
    assert report["baselines"]["ease_binary"]["recall@10"] == pytest.approx(expected["recall@10"], abs=1e-4)
    assert report["model"]["rmse"] == pytest.approx(run.metrics["rmse"], abs=1e-6)


def test_bad_input_is_one_line(graph: Graph, neo4j_env: dict[str, str], tmp_path: Path) -> None:
    tiny.create(graph)
    runner = CliRunner()
    result = runner.invoke(cli, ["evaluate", str(tmp_path / "nope")])
    assert (result.exit_code, result.output) == (1, f"Error: no run at {tmp_path / 'nope'}\n")
    (tmp_path / "half").mkdir()
    result = runner.invoke(cli, ["evaluate", str(tmp_path / "half")])
    assert result.exit_code == 1 and result.output.startswith(f"Error: {tmp_path / 'half'} is not a run directory")
    result = runner.invoke(cli, ["train", "--runs-dir", str(tmp_path), "--min-year", "3000", "-q"], env=neo4j_env)
    assert result.exit_code == 1
    assert result.output.startswith("Error: the selected subgraph (min_year=3000) has no ratings")
    assert not any(tmp_path.glob("*-sage"))
    if not torch.cuda.is_available():
        result = runner.invoke(cli, ["train", "--device", "cuda", "--runs-dir", str(tmp_path), "-q"], env=neo4j_env)
        assert result.exit_code == 1
        assert result.output == ("Error: --device cuda asked for, but no CUDA device is available here "
                                 "(use --device cpu or auto)\n")


def test_train_from_an_exported_file_with_a_temporal_split(tmp_path: Path) -> None:
    from movierec.gnn.data.export import save_heterodata
    from tests.gnn.tiny import tiny_data

    save_heterodata(tiny_data(), tmp_path / "g.pt")
    result = CliRunner().invoke(cli, ["train", "--data", str(tmp_path / "g.pt"), "--split", "temporal", "--model",
                                      "sage", "--minibatch", "--num-neighbors", "4,2", "--layers", "2", "--batch-size",
                                      "32", "--epochs", "2", "--ensemble", "1", "--hidden", "8", "--device", "cpu",
                                      "--runs-dir", str(tmp_path), "-q"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    run = load_run(result.output.splitlines()[0].split(" written to ")[1])
    assert run.config.minibatch is True and run.config.num_neighbors == (4, 2)
    assert run.config.split.method == "temporal"
    _, _, split = run.split()
    assert split.sizes() == {"train": 72, "val": 12, "test": 12}
    bad = CliRunner().invoke(cli, ["train", "--data", str(tmp_path / "g.pt"), "--num-neighbors", "x", "-q"])
    assert bad.exit_code == 2
    assert bad.output.endswith(
        "Error: Invalid value for --num-neighbors: 'x' is not a comma-separated list of integers\n")


@pytest.mark.parametrize("model", ["sage", "lightgcn", "ease", "gfcf", "gcmc", "combined"])
def test_a_run_directory_rebuilds_its_model_with_identical_scores(
    graph: Graph, neo4j_env: dict[str, str], tmp_path: Path, model: str
) -> None:
    tiny.create(graph)
    path = _train(neo4j_env, tmp_path, "--model", model, "--epochs", "3", "--hidden", "8", "--ensemble", "2",
                  "--batch-size", "32", "--seed", "3")
    run = load_run(path)
    assert isinstance(run.config, TrainConfig) and run.config.hidden == 8
    rank, rating = rebuild(run)
    users = torch.arange(len(run.user_ids))
    assert torch.equal(rank.scores(users), run.score(users))
    pairs = (users.repeat_interleave(len(run.movie_ids)), torch.arange(len(run.movie_ids)).repeat(len(users)))
    assert torch.equal(rating.pairs(*pairs).clamp(*run.rating_range), run.predict_rating(*pairs))
    # the weights are what the scores come from: other weights, other scores
    weights = run.weights()
    name = {"sage": "sage_0", "combined": "lightgcn/lightgcn"}.get(model, model)  # combined: its ranker's
    key = next(k for k in weights[name] if k.endswith("weight") or k in ("basis", "lambda"))
    weights[name][key] = torch.zeros_like(weights[name][key]) if key != "lambda" else weights[name][key] * 100
    torch.save(weights, path / "weights.pt")
    changed, _ = rebuild(load_run(path))
    assert not torch.equal(changed.scores(users), run.score(users))
