"""Any predicted rating in Cypher: ``predict_rating`` and ``rank_movies_for_user`` against the Python model.

Real runs, trained by ``movierec train`` on the tiny graph (tests/gnn/tiny.py) and written back into the real
Neo4j: the Cypher prediction must be the run's own ``predict_rating`` (within 1e-4: float32 in torch, float64 in
Cypher), follow the active run when another is activated, and be null for what the active run does not cover.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from movierec import cypher
from movierec.cli import cli
from movierec.core.db import Graph
from movierec.cypher.queries import predict_ratings
from movierec.gnn.serving.writeback import write_back
from movierec.gnn.training.run_dir import TrainedRun, load_run
from movierec.ingest.load import ingest_release
from tests.fixtures import FixedRun, make_graph, users_and_movies
from tests.gnn import tiny

TOLERANCE = 1e-4
NEW_USER, NEW_MOVIE = 13, 116  # ingested after the runs were trained: no run covers them


def _train(env: dict[str, str], runs: Path, *args: str) -> TrainedRun:
    result = CliRunner().invoke(cli, ["train", "--runs-dir", str(runs), "--device", "cpu", "-q", *args], env=env,
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return load_run(result.output.splitlines()[0].split(" written to ")[1])


def _python(run: TrainedRun, user_id: int, movie_ids: list[int]) -> list[float | None]:
    """The run's own predicted ratings (``None`` where it does not know the user or the movie)."""
    if user_id not in run.user_ids:
        return [None] * len(movie_ids)
    out: list[float | None] = []
    for mid in movie_ids:
        if mid not in run.movie_ids:
            out.append(None)
            continue
        u, m = torch.tensor([run.user_ids.index(user_id)]), torch.tensor([run.movie_ids.index(mid)])
        out.append(float(run.predict_rating(u, m)[0]))
    return out


def _add_a_user_and_a_movie(graph: Graph, folder: Path) -> None:
    """A newer release on top of the tiny one: user 13 rates the new movie 116 and movie 101."""
    tiny.write_release(folder)
    with (folder / "movies.csv").open("a", encoding="utf-8") as f:
        f.write(f"{NEW_MOVIE},Movie 16 (2020),Drama\n")
    with (folder / "ratings.csv").open("a", encoding="utf-8") as f:
        f.write(f"{NEW_USER},{NEW_MOVIE},4.0,{tiny.T0}\n{NEW_USER},101,3.5,{tiny.T0}\n")
    ingest_release(graph, folder)


def _covered(graph: Graph, label: str) -> dict[int, int]:
    """id -> size of ratingFactors, for every node of ``label`` holding the active rating model."""
    key = {"User": "userId", "Movie": "movieId"}[label]
    return {r["id"]: r["d"] for r in graph.read(
        f"MATCH (n:{label}) WHERE n.ratingBias IS NOT NULL RETURN n.{key} AS id, size(n.ratingFactors) AS d")}


def test_predict_rating_in_cypher_is_the_active_runs_model(graph: Graph, neo4j_env: dict[str, str],
                                                            tmp_path: Path) -> None:
    tiny.create(graph)
    run_a = _train(neo4j_env, tmp_path / "runs", "--model", "ease", "--seed", "0")
    write_back(graph, run_a, k=5)

    (model_run,) = graph.read("MATCH (r:ModelRun {active: true}) RETURN r {.*} AS r")
    r = model_run["r"]
    assert (r["runId"], r["ratingMin"], r["ratingMax"]) == (run_a.run_id, *run_a.rating_range)
    assert r["ratingOffset"] == pytest.approx(run_a.rating_scorer.offset, abs=1e-6)
    d_a = run_a.rating_scorer.user.shape[1]
    assert _covered(graph, "User") == dict.fromkeys(range(1, 13), d_a)
    assert _covered(graph, "Movie") == dict.fromkeys(range(101, 116), d_a)

    # 50 random (user, movie) pairs, asked per user, in a shuffled order that the answer keeps
    rng = random.Random(0)
    pairs = rng.sample([(u, m) for u in range(1, 13) for m in range(101, 116)], 50)
    asked: dict[int, list[int]] = {}
    for u, m in pairs:
        asked.setdefault(u, []).append(m)
    first: dict[tuple[int, int], float] = {}
    for uid, mids in asked.items():
        rows = predict_ratings(graph, uid, mids)
        assert [row["movieId"] for row in rows] == mids
        assert [row["title"] for row in rows] == [f"Movie {m - 100}" for m in mids]
        assert {row["runId"] for row in rows} == {run_a.run_id}
        got = [row["predictedRating"] for row in rows]
        assert got == pytest.approx(_python(run_a, uid, mids), abs=TOLERANCE)
        first.update({(uid, m): g for m, g in zip(mids, got, strict=True)})
    assert len(first) == 50

    # what the run does not cover answers null, in place: a new user, a new movie, a movie not in the graph
    _add_a_user_and_a_movie(graph, tmp_path / "newer" / "ml-latest-small")
    rows = predict_ratings(graph, 1, [NEW_MOVIE, 101, 99_999])
    assert [(row["movieId"], row["title"]) for row in rows] == [(NEW_MOVIE, "Movie 16"), (101, "Movie 1"),
                                                                (99_999, None)]
    assert [row["predictedRating"] for row in rows] == [None, pytest.approx(_python(run_a, 1, [101])[0],
                                                                            abs=TOLERANCE), None]
    assert [row["predictedRating"] for row in predict_ratings(graph, NEW_USER, [101, NEW_MOVIE])] == [None, None]
    assert [row["predictedRating"] for row in predict_ratings(graph, 99_999, [101])] == [None]

    # a second run, of another model and trained on users 1-8 only, is activated: the same query answers with it
    run_b = _train(neo4j_env, tmp_path / "runs", "--model", "sage", "--epochs", "3", "--hidden", "8", "--ensemble",
                   "2", "--seed", "1", "--where", "user in (1,2,3,4,5,6,7,8)")
    assert run_b.user_ids == list(range(1, 9))
    write_back(graph, run_b, k=5)
    d_b = run_b.rating_scorer.user.shape[1]
    assert d_b != d_a
    assert _covered(graph, "User") == dict.fromkeys(range(1, 9), d_b)  # users 9-12 lost run A's parameters
    assert _covered(graph, "Movie") == dict.fromkeys(run_b.movie_ids, d_b)
    assert graph.read("MATCH (n) WHERE n.stagedRunId IS NOT NULL OR n.stagedRatingBias IS NOT NULL "
                      "OR n.stagedRatingFactors IS NOT NULL RETURN count(n) AS n")[0]["n"] == 0
    (r,) = graph.read("MATCH (r:ModelRun {active: true}) RETURN r.runId AS id, r.ratingOffset AS offset")
    assert r["id"] == run_b.run_id and r["offset"] == pytest.approx(run_b.rating_scorer.offset, abs=1e-6)
    changed = 0
    for uid, mids in asked.items():
        rows = predict_ratings(graph, uid, mids)
        got = [row["predictedRating"] for row in rows]
        assert {row["runId"] for row in rows} == {run_b.run_id}
        expected = _python(run_b, uid, mids)
        if uid > 8:
            assert got == expected == [None] * len(mids)
            continue
        assert got == pytest.approx(expected, abs=TOLERANCE)
        changed += sum(g is not None and abs(g - first[(uid, m)]) > 1e-3 for m, g in zip(mids, got, strict=True))
    assert changed >= 20  # run B's values, not run A's

    # movierec score prints the Cypher prediction beside the Python one, for the active run only
    movie = run_b.movie_ids[0]
    python = _python(run_b, 1, [movie])[0]
    assert python is not None
    out = CliRunner().invoke(cli, ["score", "--user", "1", "--movie", str(movie), "--format", "json"], env=neo4j_env)
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["runId"] == data["activeRunId"] == run_b.run_id
    assert data["cypherRating"] == pytest.approx(data["predictedRating"], abs=TOLERANCE)
    assert data["predictedRating"] == pytest.approx(python, abs=1e-6)
    out = CliRunner().invoke(cli, ["score", "--user", "1", "--movie", str(movie)], env=neo4j_env)
    assert f"  predicted rating {python:.4f} (Cypher predict_rating: {data['cypherRating']:.4f})" in out.output
    out = CliRunner().invoke(cli, ["score", "--user", "1", "--movie", str(movie), "--run", str(run_a.path)],
                             env=neo4j_env)
    assert out.exit_code == 0, out.output
    assert (f"(not checked in Cypher: predict_rating reads the active run, {run_b.run_id})" in out.output)

    # rank_movies_for_user: a watch-list, best first, what the run does not cover left out
    watch = [NEW_MOVIE, 99_999, *range(101, 116)]
    ranked = graph.read(cypher.load("rank_movies_for_user"), userId=2, movieIds=watch, genre=None, k=100)
    by_python = sorted(((-r, m) for m, r in zip(watch, _python(run_b, 2, watch), strict=True) if r is not None))
    assert [row["movieId"] for row in ranked] == [m for _, m in by_python]
    assert [row["predictedRating"] for row in ranked] == pytest.approx([-r for r, _ in by_python], abs=TOLERANCE)
    top = graph.read(cypher.load("rank_movies_for_user"), userId=2, movieIds=watch, genre=None, k=3)
    assert [row["movieId"] for row in top] == [m for _, m in by_python[:3]]
    # ... or every movie of a genre the user has not rated
    rated = {r["movieId"] for r in tiny.ratings() if r["userId"] == 2}
    comedies = [m["movieId"] for m in tiny.movies() if "Comedy" in m["genres"] and m["movieId"] not in rated]
    ranked = graph.read(cypher.load("rank_movies_for_user"), userId=2, movieIds=None, genre="Comedy", k=100)
    expected_genre = sorted((-r, m) for m, r in zip(comedies, _python(run_b, 2, comedies), strict=True)
                            if r is not None)
    assert len(expected_genre) >= 2
    assert [row["movieId"] for row in ranked] == [m for _, m in expected_genre]
    assert all("Comedy" in row["genres"] for row in ranked)
    # a user the active run does not cover: no rows
    assert graph.read(cypher.load("rank_movies_for_user"), userId=10, movieIds=watch, genre=None, k=10) == []


def test_predict_rating_is_clamped_to_the_runs_range(graph: Graph) -> None:
    make_graph(graph)
    users, movies = users_and_movies()
    run = FixedRun("run-narrow", users, movies, seed=5, rating_range=(2.5, 3.5))
    write_back(graph, run, k=2)
    got: list[float] = []
    expected: list[float] = []
    for ui, uid in enumerate(users):
        rows = predict_ratings(graph, uid, movies)
        got += [row["predictedRating"] for row in rows]
        expected += run.predict_rating(torch.full((len(movies),), ui), torch.arange(len(movies))).tolist()
    assert got == pytest.approx(expected, abs=TOLERANCE)
    assert got.count(2.5) >= 10 and got.count(3.5) >= 10 and min(got) == 2.5 and max(got) == 3.5
    # no run active (the graph wiped of ModelRuns): every rating null, runId null
    graph.write("MATCH (r:ModelRun) DETACH DELETE r")
    assert predict_ratings(graph, users[2], movies[:2]) == [
        {"movieId": movies[0], "title": f"Movie {movies[0]}", "predictedRating": None, "runId": None},
        {"movieId": movies[1], "title": f"Movie {movies[1]}", "predictedRating": None, "runId": None},
    ]


def test_a_written_back_gcmc_run_predicts_in_cypher_what_score_says_for_any_pair(
        graph: Graph, neo4j_env: dict[str, str], tmp_path: Path) -> None:
    tiny.create(graph)
    run = _train(neo4j_env, tmp_path / "runs", "--model", "gcmc", "--seed", "0", "--epochs", "20", "--hidden", "8")
    write_back(graph, run, k=5)
    pairs = random.Random(0).sample([(u, m) for u in run.user_ids for m in run.movie_ids], 12)
    for user_id, movie_id in pairs:
        args = ["score", "--user", str(user_id), "--movie", str(movie_id), "--format", "json"]
        result = CliRunner().invoke(cli, args, env=neo4j_env, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        shown = json.loads(result.output)
        (row,) = predict_ratings(graph, user_id, [movie_id])
        assert row["runId"] == shown["runId"] == run.run_id
        assert row["predictedRating"] == pytest.approx(shown["predictedRating"], abs=TOLERANCE)
        assert shown["cypherRating"] == pytest.approx(shown["predictedRating"], abs=TOLERANCE)
    # the ratings are the model's, not the bias baseline's: its movie side is the 8-d encoder's output, in (0, 1)
    factors = graph.read("MATCH (m:Movie) WHERE m.ratingFactors IS NOT NULL RETURN m.ratingFactors AS f")
    assert factors and all(len(r["f"]) == 8 and all(0 < v < 1 for v in r["f"]) for r in factors)
