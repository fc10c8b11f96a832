"""Writeback: top-K unrated movies, embeddings and vector indexes, the atomic switch between runs.

The runs here are small real objects of the ``movierec.gnn.serving.writeback.ScoringRun`` shape with seeded
embeddings (score = dot product), so the expected top-K is computed independently, by brute force
in plain Python, from the same numbers. Neo4j is the real one.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch
from neo4j.exceptions import Neo4jError

from movierec import cypher
from movierec.core.db import Graph, connect
from movierec.core.errors import WritebackError
from movierec.core.settings import Neo4jSettings
from movierec.cypher.queries import find_movie, similar
from movierec.gnn.serving.staging import memory_advice
from movierec.gnn.serving.topk import rated_index, top_k
from movierec.gnn.serving.writeback import write_back
from tests.fixtures import (
    ANIMATION,
    N_MOVIES,
    N_USERS,
    FixedRun,
    RecordingBars,
    SlowBars,
    expected_top_k,
    make_graph,
    two_communities,
    users_and_movies,
    written,
)

ROOT = Path(__file__).resolve().parents[2]
NOT_IN_GRAPH = 99_999


@dataclass
class SimilarRun(FixedRun):
    """A FixedRun with seeded similar movies, as a run directory's ``similar.pt`` gives them."""

    similar_k: int = 4

    def similar(self) -> tuple[torch.Tensor, torch.Tensor]:
        g = torch.Generator().manual_seed(self.seed + 100)
        m, k = len(self.movie_ids), self.similar_k
        movies = torch.stack([torch.randperm(m - 1, generator=g)[:k] for _ in range(m)])
        movies += (movies >= torch.arange(m).unsqueeze(1)).long()  # never itself
        scores = torch.rand(m, k, generator=g).sort(dim=1, descending=True).values
        movies[0, 2:], scores[0, 2:] = -1, 0.0  # a movie with only two neighbours
        return movies, scores

    def expected_similar(self) -> dict[int, list[tuple[int, int, float]]]:
        """movieId -> [(rank, movieId, score)], movies not in the graph left out and ranks renumbered."""
        movies, scores = self.similar()
        out: dict[int, list[tuple[int, int, float]]] = {}
        for i, mid in enumerate(self.movie_ids):
            kept = [(self.movie_ids[j], s) for j, s in zip(movies[i].tolist(), scores[i].tolist(), strict=True)
                    if j >= 0 and self.movie_ids[j] != NOT_IN_GRAPH]
            if mid != NOT_IN_GRAPH and kept:
                out[mid] = [(r, m, s) for r, (m, s) in enumerate(kept, 1)]
        return out


def similar_written(graph: Graph) -> dict[str, dict[int, list[tuple[int, int, float]]]]:
    """runId -> movieId -> [(rank, movieId, score)] of every SIMILAR relationship, by rank."""
    out: dict[str, dict[int, list[tuple[int, int, float]]]] = {}
    for r in graph.read("MATCH (m:Movie)-[s:SIMILAR]->(o:Movie) RETURN s.runId AS run, m.movieId AS m, "
                        "s.rank AS rank, o.movieId AS o, s.score AS s ORDER BY run, m, rank"):
        out.setdefault(r["run"], {}).setdefault(r["m"], []).append((r["rank"], r["o"], r["s"]))
    return out


def test_write_back_writes_similar_movies_resumes_and_replaces_them(graph: Graph) -> None:
    make_graph(graph)
    users, movies = users_and_movies()
    run_a = SimilarRun("run-a", users, movies + [NOT_IN_GRAPH], seed=5)
    bars = RecordingBars()
    result = write_back(graph, run_a, k=5, progress=bars)
    expected = run_a.expected_similar()
    assert len(expected) == N_MOVIES and len(expected[1000]) == 2
    got = similar_written(graph)
    assert list(got) == ["run-a"]
    assert {m: [(r, o) for r, o, _ in rows] for m, rows in got["run-a"].items()} == {
        m: [(r, o) for r, o, _ in rows] for m, rows in expected.items()}
    for mid, rows in got["run-a"].items():
        assert [s for _, _, s in rows] == pytest.approx([s for _, _, s in expected[mid]], abs=1e-6)
        assert [s for _, _, s in rows] == sorted((s for _, _, s in rows), reverse=True)
        assert [r for r, _, _ in rows] == list(range(1, len(rows) + 1))
    total = sum(len(rows) for rows in expected.values())
    assert result.similar == total and result.skipped_movie_ids == 1
    assert "similar movies" in [p[0] for p in bars.phases]
    assert graph.read("MATCH (r:ModelRun) RETURN r.similarK AS k")[0]["k"] == 4
    # the library reads them (by rank), and the vector index on request
    near = similar(graph, find_movie(graph, 1003), k=3)
    assert [(r["movieId"], r["score"]) for r in near] == [(o, s) for _, o, s in got["run-a"][1003][:3]]
    assert len(similar(graph, find_movie(graph, 1003), k=3, by="embedding")) == 3

    # rerun: nothing duplicated; a movie whose SIMILAR were lost (a crash) is rewritten
    again = write_back(graph, run_a, k=5)
    assert again.similar == 0 and similar_written(graph) == got
    graph.write("MATCH (:Movie {movieId: 1005})-[s:SIMILAR]->() DELETE s")
    again = write_back(graph, run_a, k=5)
    assert again.similar == len(expected[1005]) and similar_written(graph) == got

    # a second run replaces them after the switch
    run_b = SimilarRun("run-b", users, movies, seed=6, similar_k=3)
    result_b = write_back(graph, run_b, k=5)
    assert result_b.deleted == 3 + (N_USERS - 1) * 5 + total
    got_b = similar_written(graph)
    assert list(got_b) == ["run-b"]
    assert {m: [o for _, o, _ in rows] for m, rows in got_b["run-b"].items()} == {
        m: [o for _, o, _ in rows] for m, rows in run_b.expected_similar().items()}
    assert [r["movieId"] for r in similar(graph, find_movie(graph, 1003), k=10)] == [
        o for _, o, _ in got_b["run-b"][1003]]


def test_a_run_without_similar_movies_writes_none_and_similar_uses_the_embeddings(graph: Graph) -> None:
    make_graph(graph)
    write_back(graph, SimilarRun("run-a", *users_and_movies(), seed=5), k=5)
    result = write_back(graph, FixedRun("run-b", *users_and_movies(), seed=6), k=5)  # no .similar: older runs
    assert result.similar == 0 and similar_written(graph) == {}
    assert graph.read("MATCH (r:ModelRun {active: true}) RETURN r.similarK AS k")[0]["k"] is None
    by_default = similar(graph, find_movie(graph, 1003), k=4)
    assert by_default == similar(graph, find_movie(graph, 1003), k=4, by="embedding") and len(by_default) == 4



def test_top_k_masks_rated_movies_and_matches_brute_force() -> None:
    user_ids, movie_ids = users_and_movies()
    run = FixedRun("r", user_ids, movie_ids, seed=3)
    rated = {(uid, mid) for uid in user_ids for mid in movie_ids if (uid + mid) % 3 == 0}
    pairs = rated_index(run, sorted(rated) + [(999, 1000), (100, 99999)])  # unknown ids are dropped
    assert len(pairs[0]) == len(rated)
    chunks = list(top_k(run, pairs, k=5, chunk_size=7))
    assert [len(c.users) for c in chunks] == [7, 7, 7, 7, 2]
    got = {
        user_ids[int(u)]: [movie_ids[int(m)] for m in row]
        for c in chunks
        for u, row in zip(c.users, c.movies, strict=True)
    }
    assert got == expected_top_k(run, rated, 5)


def test_top_k_pads_with_minus_infinity_when_few_movies_are_left() -> None:
    run = FixedRun("r", [1, 2], [10, 11, 12], seed=0)
    pairs = rated_index(run, [(1, 10), (1, 11), (1, 12), (2, 11)])
    (chunk,) = top_k(run, pairs, k=3)
    assert torch.isinf(chunk.scores[0]).tolist() == [True, True, True]
    assert torch.isfinite(chunk.scores[1]).tolist() == [True, True, False]
    assert sorted(chunk.movies[1, :2].tolist()) == [0, 2]


def test_write_back_writes_each_users_top_k_unrated_movies(graph: Graph) -> None:
    rated = make_graph(graph)
    run = FixedRun("run-a", *users_and_movies(), seed=5)
    bars = RecordingBars()
    result = write_back(graph, run, k=5, batch_size=4, embedding_batch_size=16, progress=bars)

    recs = written(graph, "run-a")
    expected = expected_top_k(run, rated, 5)
    assert sorted(expected[100]) == [1000, 1001, 1002]  # user 100 left only three movies unrated
    assert {u: [m for _, m, _, _ in rows] for u, rows in recs.items()} == expected
    for uid, rows in recs.items():
        assert [rank for rank, _, _, _ in rows] == list(range(1, len(rows) + 1))
        scores = [s for _, _, s, _ in rows]
        assert scores == sorted(scores, reverse=True)
        ui = run.user_ids.index(uid)
        for _, mid, score, predicted in rows:
            mi = run.movie_ids.index(mid)
            dot = float(run.user_emb[ui] @ run.movie_emb[mi])
            assert score == pytest.approx(dot, abs=1e-5)
            biases = float(run.rating_scorer.user_bias[ui]) + float(run.rating_scorer.movie_bias[mi])
            assert predicted == pytest.approx(min(5.0, max(0.5, 3.0 + biases + dot / 4)), abs=1e-5)
    assert graph.read("MATCH (u:User)-[:RATED]->(m)<-[:RECOMMENDED]-(u) RETURN count(*) AS n")[0]["n"] == 0
    assert result.users == N_USERS
    # progress: every node staged, every user scored, every recommendation written
    assert result.recommendations == 3 + (N_USERS - 1) * 5 == bars.advanced - N_USERS - N_MOVIES - N_USERS
    assert result.embeddings == N_USERS + N_MOVIES
    assert bars.closed == len(bars.phases)
    assert [p[0] for p in bars.phases] == ["scoring", "embeddings", "recommendations", "vector index",
                                           "cleanup"]
    assert result.previous_run_ids == [] and result.deleted == 0 and result.dimensions == 8

    (model_run,) = graph.read("MATCH (r:ModelRun) RETURN r {.*} AS r")
    r = model_run["r"]
    assert (r["runId"], r["model"], r["active"], r["path"]) == ("run-a", "fixed", True, "/nonexistent/run")
    assert json.loads(r["metrics"]) == {"recall@10": 0.25} and json.loads(r["params"]) == {"dims": 8}

    emb = graph.read("MATCH (m:Movie {movieId: 1007}) RETURN m.embedding AS e, m.stagedEmbedding AS s")[0]
    assert emb["e"] == pytest.approx(run.movie_emb[7].tolist(), abs=1e-6) and emb["s"] is None
    indexes = {r["name"]: (r["state"], r["dimensions"]) for r in graph.read(cypher.load("show_vector_indexes"))}
    assert indexes == {"movie_embedding": ("ONLINE", 8)}

    top = graph.read(cypher.load("recommend_for_user"), userId=102, k=3, genre=None)
    assert [row["movieId"] for row in top] == expected[102][:3]
    comedy = graph.read(cypher.load("recommend_for_user"), userId=102, k=10, genre="Comedy")
    assert [row["movieId"] for row in comedy] == [m for m in expected[102] if m % 2 == 0]
    near = graph.read(cypher.load("similar_by_embedding"), movieId=1007, k=3)
    cos = torch.nn.functional.cosine_similarity(run.movie_emb[7:8], run.movie_emb, dim=1)
    cos[7] = -2
    # the index is approximate (HNSW, quantized): the same neighbours, near-ties in either order
    assert {row["movieId"] for row in near} == {1000 + int(i) for i in torch.topk(cos, 3).indices}
    assert near[0]["movieId"] == 1000 + int(cos.argmax())


def test_second_run_replaces_the_first_and_its_indexes(graph: Graph) -> None:
    make_graph(graph)
    write_back(graph, FixedRun("run-a", *users_and_movies(), seed=5), k=5)
    # an earlier version also indexed User.embedding: the next writeback drops that index, keeps the property
    graph.write("CREATE VECTOR INDEX user_embedding FOR (u:User) ON u.embedding OPTIONS {indexConfig: "
                "{`vector.dimensions`: 8, `vector.similarity_function`: 'cosine'}}")
    result = write_back(graph, FixedRun("run-b", *users_and_movies(), seed=6, dims=4), k=3,
                        delete_batch_size=7)
    assert result.previous_run_ids == ["run-a"]
    assert result.deleted == 3 + (N_USERS - 1) * 5
    runs = graph.read(cypher.load("model_runs"))
    assert [(r["runId"], r["active"], r["recommendations"]) for r in runs] == [
        ("run-b", True, 3 + (N_USERS - 1) * 3), ("run-a", False, 0)
    ]
    indexes = {r["name"]: (r["dimensions"], r["m"]) for r in graph.read(cypher.load("show_vector_indexes"))}
    assert indexes == {"movie_embedding": (4, 32)}
    assert graph.read("MATCH (u:User {userId: 102}) RETURN size(u.embedding) AS d")[0]["d"] == 4
    # an index of the same dimensions built with Neo4j's default HNSW settings (an earlier version's) is rebuilt
    graph.write("DROP INDEX movie_embedding")
    graph.write("CREATE VECTOR INDEX movie_embedding FOR (m:Movie) ON m.embedding OPTIONS {indexConfig: "
                "{`vector.dimensions`: 4, `vector.similarity_function`: 'cosine'}}")
    write_back(graph, FixedRun("run-b", *users_and_movies(), seed=6, dims=4), k=3)
    indexes = {r["name"]: (r["dimensions"], r["m"]) for r in graph.read(cypher.load("show_vector_indexes"))}
    assert indexes == {"movie_embedding": (4, 32)}
    assert len(graph.read(cypher.load("similar_by_embedding"), movieId=1000, k=5)) == 5


def test_rerunning_the_active_run_changes_nothing(graph: Graph) -> None:
    make_graph(graph)
    run = FixedRun("run-a", *users_and_movies(), seed=5)
    write_back(graph, run, k=5)
    before = written(graph, "run-a")
    again = write_back(graph, run, k=5)
    assert written(graph, "run-a") == before
    assert again.resumed_users == N_USERS and again.recommendations == 0 and again.deleted == 0


def test_a_run_of_another_graph_is_refused_and_nothing_is_written(graph: Graph) -> None:
    make_graph(graph)
    with pytest.raises(WritebackError, match="is this the graph it was trained on"):
        write_back(graph, FixedRun("other", [1, 2], [3, 4]), k=5)
    bad = FixedRun("nan", *users_and_movies())
    bad.movie_emb[3, 2] = float("nan")
    with pytest.raises(WritebackError, match="NaN"):
        write_back(graph, bad, k=5)
    bad = FixedRun("nan-rating", *users_and_movies())
    bad.rating_scorer.movie_bias[2] = float("nan")
    with pytest.raises(WritebackError, match="run nan-rating: the rating model contains NaN or infinite values"):
        write_back(graph, bad, k=5)
    bad = FixedRun("short-rating", *users_and_movies())
    bad.rating_scorer.user_bias = bad.rating_scorer.user_bias[:-1]
    with pytest.raises(WritebackError, match=r"run short-rating: rating model factors \(30, 8\) / \(40, 8\), "
                                             r"biases \(29,\) / \(40,\) do not match its 30 users / 40 movies"):
        write_back(graph, bad, k=5)
    with pytest.raises(WritebackError, match="k must be at least 1"):
        write_back(graph, FixedRun("zero", *users_and_movies()), k=0)
    assert graph.read("MATCH (r:ModelRun) RETURN count(r) AS n")[0]["n"] == 0
    assert graph.read("MATCH ()-[r:RECOMMENDED]->() RETURN count(r) AS n")[0]["n"] == 0


SLOW_USERS = 60


def slow_writer_main() -> None:
    """Entry point of the subprocess the interruption test kills: writes run-b one user per 0.1 s."""
    settings = Neo4jSettings.resolve()
    run = FixedRun("run-b", *users_and_movies(SLOW_USERS), seed=6, dims=4)
    with connect(settings) as graph:
        write_back(graph, run, k=5, batch_size=1, embedding_batch_size=10,
                   progress=SlowBars())


def start_slow_writer(graph: Graph, neo4j_settings: Neo4jSettings) -> subprocess.Popen[str]:
    """Start :func:`slow_writer_main` in a real process and return once it has written 25 of run-b's relationships."""
    env = {**os.environ, "NEO4J_URI": neo4j_settings.uri, "NEO4J_USERNAME": neo4j_settings.user,
           "NEO4J_PASSWORD": neo4j_settings.password or "", "NEO4J_DATABASE": neo4j_settings.database}
    code = "from tests.gnn.test_writeback import slow_writer_main; slow_writer_main()"
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        n = graph.read("MATCH ()-[r:RECOMMENDED {runId: 'run-b'}]->() RETURN count(r) AS n")[0]["n"]
        if n >= 25:
            break
        time.sleep(0.05)
    return proc


def test_killed_writeback_leaves_the_previous_run_intact_and_a_rerun_finishes(
    graph: Graph, neo4j_settings: Neo4jSettings
) -> None:
    rated = make_graph(graph, n_users=SLOW_USERS)
    run_a = FixedRun("run-a", *users_and_movies(SLOW_USERS), seed=5)
    write_back(graph, run_a, k=5)
    before = written(graph, "run-a")
    node_props = ("MATCH (n) WHERE n:User OR n:Movie RETURN n.userId AS u, n.movieId AS m, n.embedding AS e, "
                  "n.ratingBias AS b, n.ratingFactors AS f ORDER BY u, m")
    emb_before = graph.read(node_props)

    proc = start_slow_writer(graph, neo4j_settings)
    try:
        assert proc.poll() is None, f"writer ended before it was killed: {proc.stderr.read() if proc.stderr else ''!r}"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()

    partial = written(graph, "run-b")
    assert 5 <= len(partial) < SLOW_USERS - 1  # some users written, not all
    # readers still see run-a, whole: flag, relationships, embeddings, queries
    runs = {r["runId"]: r["a"] for r in graph.read("MATCH (r:ModelRun) RETURN r.runId AS runId, r.active AS a")}
    assert runs == {"run-a": True, "run-b": False}
    assert written(graph, "run-a") == before
    assert graph.read(node_props) == emb_before  # embeddings and rating model: run-a's, whole
    assert graph.read(cypher.load("predict_rating"), userId=105, movieIds=[1001])[0]["runId"] == "run-a"
    assert [r["movieId"] for r in graph.read(cypher.load("recommend_for_user"), userId=105, k=5, genre=None)] == [
        m for _, m, _, _ in before[105]
    ]
    staged = graph.read("MATCH (m:Movie) WHERE m.stagedRunId = 'run-b' AND m.stagedRatingBias IS NOT NULL "
                        "AND size(m.stagedRatingFactors) = 4 RETURN count(m) AS n")[0]["n"]
    assert staged == N_MOVIES

    run_b = FixedRun("run-b", *users_and_movies(SLOW_USERS), seed=6, dims=4)
    result = write_back(graph, run_b, k=5)
    assert result.resumed_users == len(partial)
    assert result.previous_run_ids == ["run-a"]
    final = written(graph, "run-b")
    assert {u: [m for _, m, _, _ in rows] for u, rows in final.items()} == expected_top_k(run_b, rated, 5)
    assert {u: rows for u, rows in final.items() if u in partial} == partial
    assert written(graph, "run-a") == {}
    assert graph.read("MATCH (n) WHERE n.stagedRunId IS NOT NULL RETURN count(n) AS n")[0]["n"] == 0
    emb = graph.read("MATCH (u:User {userId: 105}) RETURN u.embedding AS e, u.ratingBias AS b")[0]
    ui = run_b.user_ids.index(105)
    assert emb["e"] == pytest.approx(run_b.user_emb[ui].tolist(), abs=1e-6)
    assert emb["b"] == pytest.approx(float(run_b.rating_scorer.user_bias[ui]), abs=1e-6)
    (row,) = graph.read(cypher.load("predict_rating"), userId=105, movieIds=[1001])
    expected = float(run_b.predict_rating(torch.tensor([ui]), torch.tensor([run_b.movie_ids.index(1001)]))[0])
    assert (row["runId"], row["predictedRating"]) == ("run-b", pytest.approx(expected, abs=1e-5))


def test_pipeline_ingests_trains_writes_back_and_recommends(
    graph: Graph, neo4j_env: dict[str, str], tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from movierec.cli import cli

    release = two_communities(tmp_path / "release")
    args = ["pipeline", "--path", str(release), "--model", "lightgcn", "--epochs", "5", "--k", "2",
            "--runs-dir", str(tmp_path / "runs"), "--sample-users", "1,7", "--device", "cpu", "-q"]
    result = CliRunner().invoke(cli, args, env=neo4j_env)
    assert result.exit_code == 0, result.output
    assert "12 User, 12 Movie, 4 Genre, 48 RATED" in result.output

    (run,) = graph.read("MATCH (r:ModelRun) RETURN r.runId AS id, r.active AS active, r.model AS model")
    assert (run["active"], run["model"]) == (True, "lightgcn")
    recs = written(graph, run["id"])
    assert sorted(recs) == list(range(1, 13))
    for rows in recs.values():  # every user: K movies, ranked by score, none of them rated
        assert [rank for rank, _, _, _ in rows] == [1, 2]
        assert rows[0][2] >= rows[1][2]
    assert graph.read("MATCH (u:User)-[:RATED]->(m)<-[:RECOMMENDED]-(u) RETURN count(*) AS n")[0]["n"] == 0

    indexes = {r["name"]: (r["state"], r["dimensions"]) for r in graph.read(cypher.load("show_vector_indexes"))}
    assert indexes == {"movie_embedding": ("ONLINE", 128)}
    near = graph.read(cypher.load("similar_by_embedding"), movieId=1, k=5)
    assert {r["movieId"] for r in near} == set(ANIMATION) - {1}  # Toy Story's neighbours: the other cartoons
    co_rated = graph.read(cypher.load("similar_movies"), movieId=1, k=10)  # SIMILAR: rated by the same users
    assert co_rated and {r["movieId"] for r in co_rated} <= set(ANIMATION) - {1}
    assert "movies nearest to Toy Story (1995)" in result.output

    up = list(ANIMATION)[4]  # a cartoon user 1 did not rate
    because = graph.read(cypher.load("because_you_rated_paths"), userId=1, movieId=up, minRating=4.0, k=3)
    # user 1 rated three cartoons at 4 or more: each shares Animation and Children with Up; the path runs
    # user 1 -> the cartoon -> a genre -> Up
    assert sorted(b["movieId"] for b in because) == sorted(list(ANIMATION)[:3])
    assert all(b["sharedGenres"] == ["Animation", "Children"] for b in because)
    path = because[0]["genrePath"]
    assert [n.get("movieId") for n in path.nodes] == [None, because[0]["movieId"], None, up]


def test_a_rating_written_during_a_writeback_is_left_for_the_next_refresh(
    graph: Graph, neo4j_settings: Neo4jSettings
) -> None:
    """A real writer process switches to run-b while this process rates: the rating is newer than the moment the
    writeback read the ratings (ModelRun.ratingsReadAt), so refresh finds that user, and only that one."""
    from movierec.gnn.serving.refresh import changed_users

    make_graph(graph, n_users=SLOW_USERS)
    user_ids, movie_ids = users_and_movies(SLOW_USERS)
    proc = start_slow_writer(graph, neo4j_settings)
    try:
        assert proc.poll() is None, "the writer ended before the rating was written"
        graph.write("MATCH (u:User {userId: $u}), (m:Movie {movieId: $m}) MERGE (u)-[r:RATED]->(m) "
                    "SET r.rating = 5.0, r.timestamp = datetime()", u=user_ids[0], m=movie_ids[-1])
        assert proc.wait(timeout=120) == 0, proc.stderr.read() if proc.stderr else ""
    finally:
        proc.kill()
        proc.wait()
    assert graph.read("MATCH (r:ModelRun {active: true}) RETURN r.runId AS id")[0]["id"] == "run-b"
    assert changed_users(graph) == [user_ids[0]]


@pytest.mark.parametrize("name", ["write_recommendations", "write_similar_movies", "refresh_recommendations"])
def test_replacing_a_nodes_relationships_expands_from_it_and_never_scans_the_run_index(graph: Graph,
                                                                                          name: str) -> None:
    # On a graph with no RECOMMENDED / SIMILAR yet (a first writeback) the planner rated the runId index cheaper than
    # expanding from the node, and each row then read every relationship the run had written so far: the 1M
    # benchmark's first writeback spent 13.3 s on 119,660 recommendations (1.2 s once the statistics held some).
    make_graph(graph)
    for statement in cypher.statements("create_writeback_indexes"):
        graph.write(statement)
    with graph.driver.session(database=graph.database) as session:
        plan = session.run("EXPLAIN " + cypher.load(name), rows=[], runId="r", readAt="t").consume().plan
    operators: list[str] = []

    def walk(node: dict[str, object]) -> None:
        operators.append(str(node["operatorType"]))
        for child in node.get("children", []):  # type: ignore[attr-defined]
            walk(child)

    assert plan is not None
    walk(plan)
    assert any(op.startswith("Expand") for op in operators), operators
    assert not any("RelationshipIndex" in op for op in operators), operators


class RacingBars(RecordingBars):
    """When this writeback starts ``phase``, another one runs whole (and becomes active) before it goes on."""

    def __init__(self, graph: Graph, other: FixedRun, phase: str) -> None:
        super().__init__()
        self.graph, self.other, self.phase = graph, other, phase

    def __call__(self, phase: str, total: int) -> RecordingBars:
        if phase == self.phase:
            write_back(self.graph, self.other, k=4)
        return super().__call__(phase, total)


# "recommendations": the other run is active before this one writes any (its switch refuses);
# "similar movies": the other run's cleanup deletes this one's recommendations (its completeness check finds it out)
@pytest.mark.parametrize("phase", ["recommendations", "similar movies"])
def test_a_writeback_that_loses_a_race_says_which_run_won_and_a_rerun_is_exact(graph: Graph, phase: str) -> None:
    rated = make_graph(graph)
    loser = SimilarRun("run-a", *users_and_movies(), seed=5)
    winner = SimilarRun("run-b", *users_and_movies(), seed=6)
    with pytest.raises(WritebackError) as raised:
        write_back(graph, loser, k=5, progress=RacingBars(graph, winner, phase))
    assert str(raised.value) == (
        "run run-b became active while this writeback of run run-a ran; it stays active and what this writeback "
        "wrote is deleted. Run the writeback of run-a again to make it active (movierec writeback /nonexistent/run).")
    # consistent: the winner is active and whole, nothing of the loser is left
    assert [r["runId"] for r in graph.read(cypher.load("read_active_run"))] == ["run-b"]
    assert {u: [m for _, m, _, _ in rows] for u, rows in written(graph, "run-b").items()} == {
        u: ms for u, ms in expected_top_k(winner, rated, 4).items() if ms}
    assert written(graph, "run-a") == {}
    assert set(similar_written(graph)) == {"run-b"}
    # the rerun makes the loser active, exactly as a writeback without a race would
    again = write_back(graph, loser, k=5)
    assert again.previous_run_ids == ["run-b"] and again.resumed_users == 0
    assert {u: [m for _, m, _, _ in rows] for u, rows in written(graph, "run-a").items()} == {
        u: ms for u, ms in expected_top_k(loser, rated, 5).items() if ms}
    assert written(graph, "run-b") == {}
    assert similar_written(graph) == {"run-a": loser.expected_similar()}


def test_running_out_of_transaction_memory_says_what_to_do() -> None:
    # the switch at 25M with the default run (256 + 256 dimensions) on a 4g heap: the server's own error code
    error = Neo4jError._hydrate_neo4j(code="Neo.TransientError.General.MemoryPoolOutOfMemoryError",
                               message="dbms.memory.transaction.total.max threshold reached")
    advice = memory_advice(error, "activating the run")
    assert "one transaction" in advice and "--heap 8g" in advice and "rerun the writeback" in advice
    assert memory_advice(Neo4jError._hydrate_neo4j(code="Neo.ClientError.Statement.SyntaxError", message="x"),
                         "activating the run") == ""
    assert memory_advice(ValueError("no code"), "writing recommendations") == ""
