"""The default run on the real ml-latest-small, tried as a person would: similar movies, embeddings, refresh.

One `movierec pipeline` run with no options (the default run, `combined`: lightgcn ranks, gcmc predicts ratings and
gives the embeddings; about three minutes on 2 cores) for the whole module; then the active run's SIMILAR
relationships and its embeddings (the vector index), read through the library, for the first film of 12 famous
franchises, and a new user's recommendations after `refresh` (last: it adds a user).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from movierec.cli import cli
from movierec.core.db import Graph, connect
from movierec.core.settings import Neo4jSettings
from movierec.cypher.admin import wipe
from movierec.cypher.queries import find_movie, similar
from tests.franchises import FAMOUS, FRANCHISES


@pytest.fixture(scope="module")
def default_run(neo4j_settings: Neo4jSettings, ml_latest_small: Path, tmp_path_factory: pytest.TempPathFactory
                ) -> Iterator[tuple[Graph, dict[str, str], str]]:
    """`movierec pipeline` with no options on the real release, once for the module: (graph, env, its output)."""
    env = {"NEO4J_URI": neo4j_settings.uri, "NEO4J_USERNAME": neo4j_settings.user,
           "NEO4J_PASSWORD": neo4j_settings.password or "", "NEO4J_DATABASE": neo4j_settings.database}
    graph = connect(neo4j_settings)
    try:
        wipe(graph)
        runs = tmp_path_factory.mktemp("runs")
        args = ["pipeline", "--path", str(ml_latest_small), "--runs-dir", str(runs), "--sample-users", "1", "-q",
                "--device", "cpu"]
        result = CliRunner().invoke(cli, args, env=env)
        assert result.exit_code == 0, result.output
        yield graph, env, result.output
    finally:
        graph.close()


def franchise_report(graph: Graph, by: str, franchises: dict[int, list[int]]
                     ) -> tuple[list[int], list[int], dict[int, list[dict[str, Any]]], str]:
    """For each franchise's first film, its top 10 by ``by``: (with a mate in the top 10, with a mate first, ...)."""
    top10 = {mid: similar(graph, find_movie(graph, mid), k=10, by=by) for mid in franchises}
    passed = [mid for mid, mates in franchises.items() if set(mates) & {r["movieId"] for r in top10[mid]}]
    first = [mid for mid, mates in franchises.items() if top10[mid] and top10[mid][0]["movieId"] in mates]
    report = "\n".join(f"{mid} {find_movie(graph, mid)['title']}: "
                       + ", ".join(f"{r['title']} {r['score']:.3f}" for r in top10[mid]) for mid in franchises)
    return passed, first, top10, report


def test_the_default_run_serves_the_gnn_and_says_so(default_run: tuple[Graph, dict[str, str], str]) -> None:
    graph, _, output = default_run
    assert "serving combined (ranker lightgcn, ratings gcmc, embeddings gcmc)" in output
    (run,) = graph.read("MATCH (r:ModelRun {active: true}) RETURN r.model AS model")
    assert run["model"] == "combined (ranker lightgcn, ratings gcmc, embeddings gcmc)"
    # the whole catalogue can be recommended: lightgcn scores every movie
    (row,) = graph.read("MATCH (run:ModelRun {active: true}) MATCH ()-[r:RECOMMENDED {runId: run.runId}]->(m) "
                        "RETURN count(DISTINCT m) AS movies")
    assert row["movies"] > 500


def test_the_default_runs_embeddings_find_franchise_mates(default_run: tuple[Graph, dict[str, str], str]) -> None:
    graph, _, _ = default_run
    passed, first, top10, report = franchise_report(graph, "embedding", FAMOUS)
    print(f"embeddings: a mate in the top 10 for {len(passed)}/12, first for {len(first)}/12\n{report}")
    assert len(passed) >= 10, report
    assert top10[1][0]["movieId"] == 3114, report  # Toy Story -> Toy Story 2


def test_similar_movies_find_franchise_mates_on_real_data(default_run: tuple[Graph, dict[str, str], str]) -> None:
    graph, _, output = default_run
    assert "similar movies" in output  # the writeback summary counts them

    k = graph.read("MATCH (r:ModelRun {active: true}) RETURN r.similarK AS k")[0]["k"]
    assert k == 20
    per_movie = graph.read("MATCH (run:ModelRun {active: true}) MATCH (m:Movie)-[s:SIMILAR {runId: run.runId}]->() "
                           "WITH m, count(s) AS n RETURN max(n) AS most, "
                           "min(n) AS fewest, count(m) AS movies")[0]
    assert per_movie["most"] == k and per_movie["movies"] > 8_000

    passed, first, top10, report = franchise_report(graph, "co-rating", FRANCHISES)
    print(f"{len(FRANCHISES)} franchises: a mate first for {len(first)}, in the top 10 for {len(passed)}\n{report}")
    # issue 31's goals, README "Similar movies": first ≥ 70 % (measured 39 of 53), top 10 ≥ 90 % (measured 50)
    assert len(first) >= 0.7 * len(FRANCHISES), report
    assert len(passed) >= 0.9 * len(FRANCHISES), report
    assert top10[1][0]["movieId"] == 3114, report  # Toy Story -> Toy Story 2 first
    for mid, rows in top10.items():
        assert len(rows) == 10 and mid not in [r["movieId"] for r in rows]
        scores = [r["score"] for r in rows]
        assert scores == sorted(scores, reverse=True)
        assert scores[0] - scores[-1] > 0.01 and not all(s >= 0.98 for s in scores), report

    _, env, _ = default_run
    listed = CliRunner().invoke(cli, ["similar", "--title", "Toy Story", "--k", "5", "--format", "json"], env=env)
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.output)["similar"][0]["title"] == "Toy Story 2", listed.output


RATE = """
MATCH (u:User {userId: $userId}), (m:Movie {movieId: $movieId})
MERGE (u)-[r:RATED]->(m)
SET r.rating = $rating, r.timestamp = datetime()
"""


def test_a_new_cartoon_rated_by_toy_story_fans_is_folded_in_by_refresh(
    default_run: tuple[Graph, dict[str, str], str]
) -> None:
    """Issue 32's check on real data: a movie the run never saw, rated by eight Toy Story fans, gets a place."""
    graph, neo4j_env, _ = default_run
    graph.write("CREATE (m:Movie {movieId: 900001, title: 'A New Cartoon', year: 2019}) WITH m "
                "MATCH (g:Genre) WHERE g.name IN ['Animation', 'Children', 'Comedy'] CREATE (m)-[:IN_GENRE]->(g)")
    fans = [r["u"] for r in graph.read("MATCH (u:User)-[r:RATED]->(:Movie {movieId: 1}) WHERE r.rating >= 4.5 "
                                       "RETURN u.userId AS u ORDER BY u LIMIT 8")]
    assert len(fans) == 8
    for user in fans:
        graph.write(RATE, userId=user, movieId=900001, rating=4.5)
    refreshed = CliRunner().invoke(cli, ["refresh", "-q"], env=neo4j_env)
    assert refreshed.exit_code == 0, refreshed.output
    assert "folded in 1 new movies" in refreshed.output
    listed = CliRunner().invoke(cli, ["similar", "--movie", "900001", "--format", "json"], env=neo4j_env)
    assert listed.exit_code == 0, listed.output
    near = json.loads(listed.output)["similar"]
    animated = [r["title"] for r in near if "Animation" in r["genres"]]
    assert len(near) == 10 and len(animated) >= 6, listed.output  # mostly animated films
    (movie,) = graph.read("MATCH (run:ModelRun {active: true}) MATCH (m:Movie {movieId: 900001}) "
                          "RETURN m.foldedRunId = run.runId AS underActive, size(m.embedding) AS dims, "
                          "m.ratingBias AS bias, size(m.ratingFactors) AS factors")
    assert movie["underActive"] and movie["dims"] > 0 and movie["factors"] > 0 and movie["bias"] is not None


CARTOONS = [6377, 4886, 364]  # Finding Nemo, Monsters, Inc., The Lion King: Animation|Children


@pytest.mark.xfail(strict=True, reason=(
    "a known shortfall of the default run: lightgcn's fold-in, with the popularity prior validation chooses for it "
    "(bench.foldin --model lightgcn), gives a user with three cartoon ratings nearly the popular list (three cartoons "
    "in 20 where it has one; four asked); EASE's fold-in gave four (--model ease). Held-out users' later ratings "
    "favour popular films (README, fold-in quality)"))
def test_a_new_user_who_rates_three_cartoons_is_recommended_cartoons_after_refresh(
    default_run: tuple[Graph, dict[str, str], str]
) -> None:
    graph, neo4j_env, _ = default_run
    user = 1_000_001
    for movie in CARTOONS:
        rated = CliRunner().invoke(cli, ["rate", "--user", str(user), "--movie", str(movie), "--rating", "5"],
                                   env=neo4j_env)
        assert rated.exit_code == 0, rated.output
    refreshed = CliRunner().invoke(cli, ["refresh", "-q"], env=neo4j_env)
    assert refreshed.exit_code == 0, refreshed.output
    assert "refreshed 1 users (1 new to the run, 20 recommendations)" in refreshed.output

    def cartoons(rows: list[dict[str, Any]]) -> int:
        return sum(1 for r in rows if {"Animation", "Children"} <= set(r["genres"]))

    recs = [dict(r) for r in graph.read("MATCH (run:ModelRun {active: true}) "
                      "MATCH (:User {userId: $u})-[r:RECOMMENDED {runId: run.runId}]->(m:Movie) "
                      "RETURN m.movieId AS movieId, m.title AS title, r.rank AS rank, "
                      "COLLECT { MATCH (m)-[:IN_GENRE]->(g) RETURN g.name } AS genres ORDER BY rank", u=user)]
    popular = [dict(r) for r in graph.read("MATCH (m:Movie) WHERE NOT m.movieId IN $rated "
                         "WITH m, COUNT { (m)<-[:RATED]-() } AS n ORDER BY n DESC, m.movieId LIMIT 20 "
                         "RETURN m.movieId AS movieId, m.title AS title, "
                         "COLLECT { MATCH (m)-[:IN_GENRE]->(g) RETURN g.name } AS genres", rated=CARTOONS)]
    report = (f"recommended: {[r['title'] for r in recs]}\npopular: {[r['title'] for r in popular]}")
    print(report)
    assert len(recs) == 20 and not set(CARTOONS) & {r["movieId"] for r in recs}
    assert [r["movieId"] for r in recs] != [r["movieId"] for r in popular], report
    assert cartoons(recs) >= cartoons(popular) + 3, report  # the three ratings moved cartoons up
    assert {3114, 2355, 1, 4306, 8961} & {r["movieId"] for r in recs[:10]}, report  # Pixar / Shrek in the top 10
