"""Similar movies on the real ml-latest-small: what a person expects (Toy Story -> Toy Story 2).

One `movierec pipeline` run (the default closed-form model, about a minute), then the active run's
SIMILAR relationships, read through the library, for the first film of 12 famous franchises.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from click.testing import CliRunner

from movierec.cli import cli
from movierec.core.db import Graph
from movierec.cypher.queries import find_movie, similar

# first film's movieId -> its franchise mates' movieIds (measured on ml-latest-small)
FRANCHISES = {
    1: [3114, 78499],  # Toy Story
    260: [1196, 1210, 2628, 5378, 33493, 122886, 166528, 179819, 187595, 61160],  # Star Wars IV
    4993: [5952, 7153, 98809, 106489, 118696],  # The Lord of the Rings
    4896: [5816, 8368, 40815, 54001, 69844, 81834, 88125],  # Harry Potter 1
    2571: [6365, 6934, 27660],  # The Matrix
    858: [1221, 2023],  # The Godfather
    1270: [2011, 2012],  # Back to the Future
    4306: [8360, 53121, 78637, 64249],  # Shrek
    1240: [589, 6537, 68791, 120799],  # The Terminator
    1198: [1291, 2115, 59615],  # Raiders of the Lost Ark
    1214: [1200, 1320, 1690, 169984],  # Alien
    6539: [45722, 53125, 86880, 122896],  # Pirates of the Caribbean
}


def run_pipeline(neo4j_env: dict[str, str], release: Path, runs: Path) -> str:
    """`movierec pipeline` on the real release with the default ranker; its output."""
    args = ["pipeline", "--path", str(release), "--runs-dir", str(runs), "--sample-users", "1", "-q", "--device", "cpu"]
    result = CliRunner().invoke(cli, args, env=neo4j_env)
    assert result.exit_code == 0, result.output
    return result.output


def test_similar_movies_find_franchise_mates_on_real_data(
    graph: Graph, neo4j_env: dict[str, str], ml_latest_small: Path, tmp_path: Path
) -> None:
    output = run_pipeline(neo4j_env, ml_latest_small, tmp_path / "runs")
    assert "similar movies" in output  # the writeback summary counts them

    k = graph.read("MATCH (r:ModelRun {active: true}) RETURN r.similarK AS k")[0]["k"]
    assert k == 20
    per_movie = graph.read("MATCH (run:ModelRun {active: true}) MATCH (m:Movie)-[s:SIMILAR {runId: run.runId}]->() "
                           "WITH m, count(s) AS n RETURN max(n) AS most, "
                           "min(n) AS fewest, count(m) AS movies")[0]
    assert per_movie["most"] == k and per_movie["movies"] > 8_000

    top10 = {mid: similar(graph, find_movie(graph, mid), k=10) for mid in FRANCHISES}
    passed = [mid for mid, mates in FRANCHISES.items() if set(mates) & {r["movieId"] for r in top10[mid]}]
    report = "\n".join(f"{mid} {find_movie(graph, mid)['title']}: "
                       + ", ".join(f"{r['title']} {r['score']:.3f}" for r in top10[mid]) for mid in FRANCHISES)
    print(f"franchises with a mate in the top 10: {len(passed)}/{len(FRANCHISES)}\n{report}")
    assert len(passed) >= 8, report
    toy = [r["movieId"] for r in top10[1]]
    assert {3114, 78499} & set(toy), report
    for mid, rows in top10.items():
        assert len(rows) == 10 and mid not in [r["movieId"] for r in rows]
        scores = [r["score"] for r in rows]
        assert scores == sorted(scores, reverse=True)
        assert scores[0] - scores[-1] > 0.01 and not all(s >= 0.98 for s in scores), report


CARTOONS = [6377, 4886, 364]  # Finding Nemo, Monsters, Inc., The Lion King: Animation|Children


def test_a_new_user_who_rates_three_cartoons_is_recommended_cartoons_after_refresh(
    graph: Graph, neo4j_env: dict[str, str], ml_latest_small: Path, tmp_path: Path
) -> None:
    run_pipeline(neo4j_env, ml_latest_small, tmp_path / "runs")
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
