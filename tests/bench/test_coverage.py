"""``bench.coverage``: what a run's writeback would recommend, measured on a real trained run (tiny release)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from bench.coverage import coverage
from bench.graph_file import release_graph
from movierec.cli import cli
from movierec.gnn.data.export import save_heterodata
from movierec.gnn.training.run_dir import load_run
from tests.fixtures import two_communities


@pytest.mark.parametrize("model", ["ease", "gfcf"])
def test_coverage_counts_what_the_writeback_would_recommend(tmp_path: Path, model: str) -> None:
    graph = tmp_path / "graph.pt"
    save_heterodata(release_graph(two_communities(tmp_path / "release")), graph)
    trained = CliRunner().invoke(cli, ["train", "--data", str(graph), "--model", model, "--device", "cpu",
                                       "--runs-dir", str(tmp_path / "runs"), "-q"])
    assert trained.exit_code == 0, trained.output
    (path,) = (tmp_path / "runs").iterdir()
    got = coverage(path, k=3)

    # brute force: every user's 3 best-scored movies among those they did not rate
    run = load_run(path)
    edge_index, _, _ = run.split()
    scores = run.score(torch.arange(len(run.user_ids))).clone()
    scores[edge_index[0], edge_index[1]] = -float("inf")
    best = scores.topk(3, dim=1)
    picked = {int(m) for m, s in zip(best.indices.flatten(), best.values.flatten(), strict=True) if s > -1e30}
    assert got["distinct"] == len(picked) and got["coverage"] == len(picked) / 12
    assert got["movies"] == 12 and got["movies_with_ratings"] == 12 and got["users"] == 12
    assert got["recommendable"] == 12 and got["recommendable_share"] == 1.0
