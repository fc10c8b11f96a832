"""A load killed mid-way (the CLI process, SIGKILL) completes exactly when the same command runs again."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from movierec.cli import cli
from movierec.core.db import Graph
from movierec.ingest.movielens import read_release
from movierec.ingest.synth import synthesize
from tests.ingest.releases import assert_loaded

RATINGS = 100_000


def _rated(graph: Graph) -> int:
    return int(graph.read("MATCH ()-[r:RATED]->() RETURN count(r) AS n")[0]["n"])


@pytest.mark.neo4j
def test_kill_the_cli_mid_load_and_rerun(graph: Graph, tmp_path: Path, neo4j_env: dict[str, str]) -> None:
    release_dir = tmp_path / "synth"
    synthesize(RATINGS, release_dir, seed=7)
    release = read_release(release_dir)
    args = ["ingest", "--path", str(release_dir), "--batch-size", "1000", "--quiet"]
    process = subprocess.Popen(
        [sys.executable, "-c", "from movierec.cli import main; main()", *args],
        env={**os.environ, **neo4j_env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 180
        while _rated(graph) < 5_000:
            assert process.poll() is None, f"the load ended before it could be killed: {process.stdout!r}"
            assert time.monotonic() < deadline, "the load wrote no ratings in 180 s"
            time.sleep(0.1)
    finally:
        process.kill()
        process.wait()
    partial = _rated(graph)
    assert 5_000 <= partial < RATINGS

    result = CliRunner().invoke(cli, args, env=neo4j_env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert_loaded(graph, release, RATINGS)
    pairs = graph.read("MATCH (u:User)-[r:RATED]->(m:Movie) WITH u, m, count(r) AS n WHERE n > 1 RETURN count(*) AS d")
    assert pairs[0]["d"] == 0
    total = graph.read("MATCH ()-[r:RATED]->() RETURN sum(r.rating) AS s, sum(r.timestamp.epochSeconds) AS t")[0]
    assert total["s"] == pytest.approx(float(release.ratings["rating"].sum()), abs=1e-6)
    assert total["t"] == int(release.ratings["timestamp"].sum())
