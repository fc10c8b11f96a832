"""Two `movierec ingest` processes into one empty database at once: every rating and tag is written once."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from movierec.core.db import Graph
from movierec.cypher.admin import wipe
from movierec.ingest.load import ingest_release
from movierec.ingest.movielens import read_release
from movierec.ingest.synth import synthesize
from tests.ingest.releases import assert_loaded

RATINGS = 100_000
ATTEMPTS = 3
# `-v` logs the end of each phase ("2026-11-29 10:00:00,123 INFO movierec.ingest.load: users: 363 rows in ...");
# the ratings phase runs from the end of the users phase to its own end.
PHASE_END = re.compile(r"^(\S+ \S+) INFO movierec\.ingest\.load: (users|ratings): \d+ rows in ", re.MULTILINE)


def _ratings_phase(log: str) -> tuple[datetime, datetime]:
    ends = {phase: datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f") for stamp, phase in PHASE_END.findall(log)}
    return ends["users"], ends["ratings"]


@pytest.mark.neo4j
def test_two_ingests_at_once_write_each_rating_and_tag_once(
    graph: Graph, tmp_path: Path, neo4j_env: dict[str, str]
) -> None:
    release_dir = tmp_path / "synth"
    synthesize(RATINGS, release_dir, seed=3)
    release = read_release(release_dir)
    command = [sys.executable, "-c", "from movierec.cli import main; main()", "-v", "ingest",
               "--path", str(release_dir), "--batch-size", "1000", "--quiet"]
    env = {**os.environ, **neo4j_env}
    # Both must write ratings at the same time, else the attempt proves nothing about concurrency: on a loaded
    # machine one process can finish before the other starts, so up to ATTEMPTS runs into an emptied database.
    # The movies and users are loaded first (with one rating): two movies phases at once deadlock on the shared
    # Genre nodes, and the driver's back-off (~1 s) would put one ratings phase after the other.
    prepared = tmp_path / "movies-only"
    prepared.mkdir()
    for name in ("movies.csv", "links.csv"):
        shutil.copy(release_dir / name, prepared / name)
    for name, keep in (("ratings.csv", 2), ("tags.csv", 1)):
        lines = (release_dir / name).read_text(encoding="utf-8").splitlines(keepends=True)
        (prepared / name).write_text("".join(lines[:keep]), encoding="utf-8")
    for attempt in range(1, ATTEMPTS + 1):
        wipe(graph)
        ingest_release(graph, prepared)
        started_ms = int(time.time() * 1000)
        processes = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                     for _ in range(2)]
        outputs = []
        try:
            for process in processes:
                outputs.append(process.communicate(timeout=600))
        finally:
            for process in processes:
                process.kill()
                process.wait()
        finished_ms = int(time.time() * 1000)
        assert [p.returncode for p in processes] == [0, 0], outputs
        (start_a, end_a), (start_b, end_b) = (_ratings_phase(err) for _, err in outputs)
        if max(start_a, start_b) < min(end_a, end_b):
            break
        assert attempt < ATTEMPTS, f"the two ratings phases never overlapped in {ATTEMPTS} attempts: {outputs}"

    assert_loaded(graph, release, RATINGS)
    duplicated = graph.read(
        "MATCH (u:User)-[r:RATED]->(m:Movie) WITH u, m, count(r) AS n WHERE n > 1 RETURN count(*) AS pairs"
    )[0]["pairs"]
    assert duplicated == 0
    duplicated_tags = graph.read(
        "MATCH (u:User)-[t:TAGGED]->(m:Movie) WITH u, m, t.tag AS tag, count(t) AS n WHERE n > 1 "
        "RETURN count(*) AS triples"
    )[0]["triples"]
    assert duplicated_tags == 0
    total = graph.read("MATCH ()-[r:RATED]->() RETURN sum(r.rating) AS s, sum(r.timestamp.epochSeconds) AS t")[0]
    assert total["s"] == pytest.approx(float(release.ratings["rating"].sum()), abs=1e-6)
    assert total["t"] == int(release.ratings["timestamp"].sum())
    # Every user who rated is marked as changed (epoch milliseconds); the lock leaves no property behind.
    marks = graph.read(
        "MATCH (u:User) WHERE EXISTS { (u)-[:RATED]->() } "
        "RETURN count(u) AS users, count(u.ratingsChangedAt) AS marked, "
        "all(t IN collect(u.ratingsChangedAt) WHERE valueType(t) = 'INTEGER NOT NULL') AS integers, "
        "min(u.ratingsChangedAt) AS first, max(u.ratingsChangedAt) AS last, "
        "COUNT { MATCH (n) WHERE n._LOCK_ IS NOT NULL } AS locks"
    )[0]
    raters = release.ratings["userId"].nunique()
    assert (marks["users"], marks["marked"], marks["integers"], marks["locks"]) == (raters, raters, True, 0)
    assert started_ms <= marks["first"] <= marks["last"] <= finished_ms
