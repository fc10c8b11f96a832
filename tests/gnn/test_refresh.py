"""`movierec refresh` and `recommend --fresh` on a real Neo4j: new ratings reach recommendations without retraining.

The graph is two communities (tests/fixtures.py: users 1-6 rate only cartoons, 7-12 only horror), trained
with the default closed-form ranker and written back by `movierec pipeline`; ratings are then added the
pure-Cypher way the README documents.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from movierec.cli import cli
from movierec.core.db import Graph
from movierec.gnn.serving import refresh as refresh_module
from movierec.gnn.serving.foldin import FoldIn
from movierec.gnn.serving.refresh import ActiveFoldIn, StaleRunError, changed_users, refresh, refresh_users
from tests.fixtures import ANIMATION, HORROR, two_communities

K = 4
# the pure-Cypher way to rate (README): MERGE the user and the rating, timestamp now
RATE = """
MERGE (u:User {userId: $userId})
WITH u MATCH (m:Movie {movieId: $movieId})
MERGE (u)-[r:RATED]->(m)
SET r.rating = $rating, r.timestamp = datetime()
"""


@pytest.fixture
def written(graph: Graph, neo4j_env: dict[str, str], tmp_path: Path) -> Path:
    release = two_communities(tmp_path / "release")
    args = ["pipeline", "--path", str(release), "--k", str(K), "--runs-dir", str(tmp_path / "runs"),
            "--sample-users", "1", "--device", "cpu", "-q"]
    result = CliRunner().invoke(cli, args, env=neo4j_env)
    assert result.exit_code == 0, result.output
    return release


def recommended(graph: Graph, user_id: int) -> list[int]:
    rows = graph.read("MATCH (run:ModelRun {active: true}) "
                      "MATCH (:User {userId: $u})-[r:RECOMMENDED {runId: run.runId}]->(m) "
                      "RETURN m.movieId AS m, r.rank AS rank ORDER BY rank", u=user_id)
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
    return [r["m"] for r in rows]


def assert_consistent(graph: Graph) -> None:
    """Every user: at most K recommendations, distinct movies, none of them rated."""
    bad = graph.read("MATCH (u:User)-[r:RECOMMENDED]->(m) WITH u, count(r) AS n, count(DISTINCT m) AS d "
                     "WHERE n > $k OR n <> d RETURN u.userId AS u", k=K)
    assert bad == []
    assert graph.read("MATCH (u:User)-[:RATED]->(m)<-[:RECOMMENDED]-(u) RETURN count(*) AS n")[0]["n"] == 0


def test_a_new_user_is_recommended_their_kind_of_movie_after_refresh(
    graph: Graph, neo4j_env: dict[str, str], written: Path
) -> None:
    assert changed_users(graph) == []  # right after the writeback nothing is stale
    horror = list(HORROR)
    for movie_id in horror[:2]:
        graph.write(RATE, userId=99, movieId=movie_id, rating=5.0)
    assert changed_users(graph) == [99]

    fresh = CliRunner().invoke(cli, ["recommend", "--user", "99", "--fresh", "--k", "3"], env=neo4j_env)
    assert fresh.exit_code == 0, fresh.output
    assert "scored now (fold-in of 2 ratings)" in fresh.output
    result = CliRunner().invoke(cli, ["refresh", "-q"], env=neo4j_env)
    assert result.exit_code == 0, result.output
    assert "refreshed 1 users (1 new to the run, 4 recommendations)" in result.output
    recs = recommended(graph, 99)
    assert len(recs) == K and set(recs) <= set(horror[2:])  # horror, none of the two rated
    assert changed_users(graph) == []
    assert_consistent(graph)

    again = CliRunner().invoke(cli, ["refresh", "-q"], env=neo4j_env)
    assert "refreshed 0 users" in again.output


def test_changed_ratings_are_detected_by_timestamp_or_by_ratings_changed_at(graph: Graph, written: Path) -> None:
    graph.write(RATE, userId=1, movieId=list(HORROR)[0], rating=4.0)  # timestamp now
    # a rating loaded with a timestamp in the past: found only through User.ratingsChangedAt
    past = ("MATCH (u:User {userId: $u}), (m:Movie {movieId: $m}) MERGE (u)-[r:RATED]->(m) "
            "SET r.rating = 3.0, r.timestamp = datetime('1999-01-01T00:00:00Z')")
    graph.write(past, u=2, m=list(HORROR)[1])
    assert changed_users(graph) == [1]
    graph.write("MATCH (u:User {userId: 2}) SET u.ratingsChangedAt = timestamp()")
    assert changed_users(graph) == [1, 2]
    assert changed_users(graph, [2, 3]) == [2]

    result = refresh(graph, user_ids=[1])
    assert (result.users, result.new_users) == (1, 0)
    assert list(HORROR)[0] not in recommended(graph, 1)
    assert changed_users(graph) == [2]
    refresh(graph)
    assert changed_users(graph) == []
    assert_consistent(graph)


def test_a_rating_landing_mid_refresh_is_picked_up_by_the_next_one(
    graph: Graph, written: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    graph.write(RATE, userId=7, movieId=list(ANIMATION)[0], rating=2.0)
    late = list(ANIMATION)[1]
    original = FoldIn.recommend

    def recommend_then_rate(self: FoldIn, *args: Any, **kwargs: Any) -> Any:
        out = original(self, *args, **kwargs)  # the ratings were read and scored: now one more lands
        graph.write(RATE, userId=7, movieId=late, rating=5.0)
        return out

    monkeypatch.setattr(refresh_module.FoldIn, "recommend", recommend_then_rate)
    assert refresh(graph).users == 1
    monkeypatch.setattr(refresh_module.FoldIn, "recommend", original)
    assert changed_users(graph) == [7]  # not lost
    refresh(graph)
    assert late not in recommended(graph, 7)
    assert changed_users(graph) == []


def test_recommend_fresh_answers_unknown_and_unrated_users(graph: Graph, neo4j_env: dict[str, str],
                                                           written: Path) -> None:
    graph.write("CREATE (:User {userId: 500})")
    empty = CliRunner().invoke(cli, ["recommend", "--user", "500", "--fresh"], env=neo4j_env)
    assert empty.exit_code == 0, empty.output
    assert "no ratings the run knows: its most popular movies" in empty.output
    unknown = CliRunner().invoke(cli, ["recommend", "--user", "501", "--fresh"], env=neo4j_env)
    assert unknown.exit_code == 1 and unknown.output == "Error: no user with userId 501\n"
    both = CliRunner().invoke(cli, ["recommend", "--user", "1", "--fresh", "--explain"], env=neo4j_env)
    assert both.exit_code == 2 and "drop --explain" in both.output
    genre = CliRunner().invoke(cli, ["recommend", "--user", "1", "--fresh", "--genre", "Horror", "--format", "json"],
                               env=neo4j_env)
    assert genre.exit_code == 0 and '"source": "fresh"' in genre.output
    rows = json.loads(genre.output)["rows"]  # user 1 rated only cartoons: still K horror films, all of them
    assert len(rows) == 6 and all("Horror" in r["genres"] for r in rows)


def test_ratings_written_while_refresh_watches_are_never_lost(
    graph: Graph, neo4j_env: dict[str, str], written: Path, tmp_path: Path
) -> None:
    """Real processes: `refresh --watch` runs while another process rates; after a final refresh every
    rating is reflected (nothing recommended is rated) and no user holds more than K or a duplicate."""
    env = {**os.environ, **neo4j_env}
    watcher = subprocess.Popen([sys.executable, "-m", "movierec", "refresh", "--watch", "0.2", "-q"],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    writer = subprocess.Popen([sys.executable, "-c", WRITER], env=env, stderr=subprocess.PIPE, text=True)
    assert watcher.stdout is not None
    first = _line_within(watcher.stdout, 120)  # the watcher refreshes users while the writer rates
    assert writer.wait(timeout=120) == 0, writer.stderr.read() if writer.stderr else ""
    assert first.startswith("refreshed"), first
    time.sleep(0.5)
    watcher.send_signal(signal.SIGINT)
    _, err = watcher.communicate(timeout=60)
    assert watcher.returncode == 130, err
    assert "every user's recommendations are whole" in err
    refresh(graph)
    assert changed_users(graph) == []
    assert_consistent(graph)
    for user in range(1, 13):
        rated = graph.read("MATCH (:User {userId: $u})-[:RATED]->(m) RETURN count(m) AS n", u=user)[0]["n"]
        assert rated <= 7 and len(recommended(graph, user)) == K


def _line_within(stream: Any, seconds: float) -> str:
    ready, _, _ = select.select([stream], [], [], seconds)
    assert ready, f"no output within {seconds} s"
    return str(stream.readline())


WRITER = f"""
import random, time
from movierec.core.db import connect
from movierec.core.settings import Neo4jSettings
cartoons, horror = {list(ANIMATION)[:3]}, {list(HORROR)[:3]}
random.seed(0)
with connect(Neo4jSettings.resolve()) as graph:
    for i in range(300):  # each user re-rates up to three films of the other community, again and again
        user = random.randint(1, 12)
        movie = random.choice(horror if user <= 6 else cartoons)
        graph.write('''{RATE}''', userId=user, movieId=movie, rating=random.choice([1.0, 3.0, 5.0]))
        time.sleep(0.01)
"""


def test_a_write_in_flight_during_the_read_is_caught_by_the_ratings_version(
    graph: Graph, written: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An ingest transaction that began before refresh read the user and commits after it stamps times older than
    the read (timestamp() is the statement's start): the version it counts up is what gives it away."""
    refresh(graph, user_ids=[3], force=True)
    assert changed_users(graph) == []
    original = FoldIn.recommend

    def recommend_then_commit_an_older_write(self: FoldIn, *args: Any, **kwargs: Any) -> Any:
        out = original(self, *args, **kwargs)
        graph.write("MATCH (u:User {userId: 3}), (m:Movie {movieId: $m}) MERGE (u)-[r:RATED]->(m) "
                    "SET r.rating = 1.0, r.timestamp = datetime('2001-01-01T00:00:00Z'), "
                    "u.ratingsChangedAt = u.refreshedAt.epochMillis - 60000, "
                    "u.ratingsVersion = coalesce(u.ratingsVersion, 0) + 1", m=list(HORROR)[5])
        return out

    monkeypatch.setattr(refresh_module.FoldIn, "recommend", recommend_then_commit_an_older_write)
    assert refresh(graph, user_ids=[3], force=True).users == 1
    monkeypatch.setattr(refresh_module.FoldIn, "recommend", original)
    assert changed_users(graph) == [3]
    refresh(graph)
    assert list(HORROR)[5] not in recommended(graph, 3) and changed_users(graph) == []


def test_force_rewrites_named_users_and_a_rewritten_run_clears_refresh_stamps(
    graph: Graph, neo4j_env: dict[str, str], written: Path, tmp_path: Path
) -> None:
    assert "refreshed 2 users" in CliRunner().invoke(cli, ["refresh", "--users", "4,5", "--force", "-q"],
                                                     env=neo4j_env).output
    assert CliRunner().invoke(cli, ["refresh", "--force"], env=neo4j_env).exit_code == 2
    graph.write(RATE, userId=99, movieId=list(HORROR)[0], rating=5.0)
    refresh(graph)
    assert graph.read("MATCH (u:User {userId: 99}) RETURN u.ratingBias IS NOT NULL AS b")[0]["b"]
    # writing the active run back again puts its own rating model back: user 99 (new to it) has none, and is due
    run_dir = next((tmp_path / "runs").iterdir())
    again = CliRunner().invoke(cli, ["writeback", str(run_dir), "-q"], env=neo4j_env)
    assert again.exit_code == 0, again.output
    assert graph.read("MATCH (u:User {userId: 99}) RETURN u.ratingBias IS NULL AS b")[0]["b"]
    assert 99 in changed_users(graph)


def test_a_rating_between_training_and_writeback_is_due_for_refresh(
    graph: Graph, neo4j_env: dict[str, str], tmp_path: Path
) -> None:
    release = two_communities(tmp_path / "release")
    runs = tmp_path / "runs"
    for args in (["ingest", "--path", str(release), "-q"], ["train", "--runs-dir", str(runs), "-q"]):
        result = CliRunner().invoke(cli, args, env=neo4j_env)
        assert result.exit_code == 0, result.output
    graph.write(RATE, userId=2, movieId=list(HORROR)[0], rating=5.0)  # after the export the run was trained on
    result = CliRunner().invoke(cli, ["writeback", str(next(runs.iterdir())), "--k", str(K), "-q"], env=neo4j_env)
    assert result.exit_code == 0, result.output
    run = graph.read("MATCH (r:ModelRun {active: true}) RETURN r.ratingsReadAt < r.createdAt AS before")[0]
    assert run["before"]  # the export's time, not the writeback's
    assert changed_users(graph) == [2]


def test_a_refresh_under_a_run_that_was_switched_out_writes_nothing(graph: Graph, written: Path) -> None:
    fold, exclude = ActiveFoldIn(graph).get()
    before = recommended(graph, 5)
    graph.write("MATCH (r:ModelRun {active: true}) SET r.active = false")  # as a switch to another run would
    with pytest.raises(StaleRunError, match="stopped being the active run during the refresh; nothing was written"):
        refresh_users(graph, fold, exclude, [5], K)
    graph.write("MATCH (r:ModelRun) SET r.active = true")
    assert recommended(graph, 5) == before
    assert graph.read("MATCH (u:User {userId: 5}) RETURN u.refreshedAt IS NULL AS untouched")[0]["untouched"]
