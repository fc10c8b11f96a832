"""The Cypher library and the query commands (recommend, similar, runs, score, writeback) on a tiny graph."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from neo4j.graph import Path as GraphPath

import bench.cypher as bench_cypher
from movierec import cypher
from movierec.cli import cli, run_cmds
from movierec.core.db import Graph
from movierec.gnn.serving.writeback import write_back
from tests.fixtures import FixedRun, expected_top_k, make_graph, users_and_movies

QUERIES = [(cypher.LIBRARY, name) for name in cypher.names()]
QUERIES += [(bench_cypher.LIBRARY, name) for name in bench_cypher.names()]


@pytest.mark.parametrize(("library", "name"), QUERIES, ids=[f"{lib.package}.{n}" for lib, n in QUERIES])
def test_each_query_file_documents_itself_and_its_parameters(library: cypher.QueryLibrary, name: str) -> None:
    text = library.load(name)
    lines = text.splitlines()
    assert lines[0].startswith("// movierec: ")  # Browser names an imported favorite after its first comment
    header = [line for line in lines if line.startswith("//")]
    code = "\n".join(line for line in lines if not line.startswith("//"))
    params = set(re.findall(r"\$([A-Za-z]\w*)", code))
    documented = {m for line in header for m in re.findall(r":param (\w+) =>", line)}
    assert params <= documented, params - documented
    if not params:
        assert any("Parameters: none" in line or "No parameters" in line for line in header)


def test_the_libraries_hold_every_query_the_code_loads() -> None:
    assert len(cypher.names()) >= 40 and "recommend_for_user" in cypher.names()
    assert "read_sample_ids" in bench_cypher.names()
    with pytest.raises(KeyError, match="no query named 'nope' in movierec.cypher"):
        cypher.load("nope")


@pytest.fixture
def written(graph: Graph) -> tuple[Graph, FixedRun, set[tuple[int, int]]]:
    rated = make_graph(graph)
    graph.write("MATCH (m:Movie {movieId: 1001}) SET m.title = 'Toy Story', m.year = 1995")
    graph.write("MATCH (m:Movie {movieId: 1003}) SET m.title = 'Toy Story 2', m.year = 1999")
    run = FixedRun("run-a", *users_and_movies(), seed=5)
    write_back(graph, run, k=5)
    return graph, run, rated


def counts(graph: Graph) -> tuple[int, int]:
    return (graph.read("MATCH (n) RETURN count(n) AS n")[0]["n"],
            graph.read("MATCH ()-[r]->() RETURN count(r) AS n")[0]["n"])


def invoke(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    result = CliRunner().invoke(cli, args, env=env)
    return result.exit_code, result.output


def test_recommend_prints_the_active_runs_top_k(written: tuple[Graph, FixedRun, set[tuple[int, int]]],
                                               neo4j_env: dict[str, str]) -> None:
    graph, run, rated = written
    code, out = invoke(["recommend", "--user", "102", "--k", "3", "--format", "json"], neo4j_env)
    assert code == 0, out
    data = json.loads(out)
    assert (data["source"], data["run_id"], data["user_id"]) == ("model", "run-a", 102)
    assert [r["movieId"] for r in data["rows"]] == expected_top_k(run, rated, 5)[102][:3]
    assert [r["rank"] for r in data["rows"]] == [1, 2, 3]

    expected = expected_top_k(run, rated, 5)
    uid = min(u for u, movies in expected.items() if sum(m % 2 == 0 for m in movies) >= 2)
    code, out = invoke(["recommend", "--user", str(uid), "--k", "5", "--genre", "Comedy"], neo4j_env)
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0] == f"userId {uid}: active run run-a"
    assert lines[1].split() == ["rank", "movieId", "title", "year", "genres", "score", "predictedRating"]
    comedy = [m for m in expected[uid] if m % 2 == 0]  # even movieIds are comedies
    assert [int(line.split()[1]) for line in lines[2:]] == comedy


def test_recommend_explain_names_the_users_highly_rated_movies(
    written: tuple[Graph, FixedRun, set[tuple[int, int]]], neo4j_env: dict[str, str]
) -> None:
    graph, run, rated = written
    code, out = invoke(["recommend", "--user", "102", "--k", "2", "--explain", "--format", "json"], neo4j_env)
    assert code == 0, out
    recs = [row["movieId"] for row in json.loads(out)["rows"]]
    liked = sorted(m for u, m in rated if u == 102)  # all rated 4.0
    # the active run's SIMILAR links: one of user 102's movies to each recommendation (one of them both ways,
    # the stronger counts), and a link of another run, which must be ignored
    links = {recs[0]: {liked[3]: 0.5, liked[1]: 0.25}, recs[1]: {liked[2]: 0.75}}
    for rec, near in links.items():
        for other, score in near.items():
            graph.write("MATCH (a:Movie {movieId: $a}), (b:Movie {movieId: $b}) "
                        "CREATE (a)-[:SIMILAR {score: $s, rank: 1, runId: 'run-a'}]->(b)", a=other, b=rec, s=score)
    graph.write("MATCH (a:Movie {movieId: $a}), (b:Movie {movieId: $b}) "
                "CREATE (b)-[:SIMILAR {score: 0.1, rank: 2, runId: 'run-a'}]->(a)", a=liked[3], b=recs[0])
    graph.write("MATCH (a:Movie {movieId: $a}), (b:Movie {movieId: $b}) "
                "CREATE (a)-[:SIMILAR {score: 0.99, rank: 1, runId: 'old-run'}]->(b)", a=liked[0], b=recs[0])
    code, out = invoke(["recommend", "--user", "102", "--k", "2", "--explain", "--format", "json"], neo4j_env)
    assert code == 0, out

    def genre(movie_id: int) -> str:
        return "Comedy" if movie_id % 2 == 0 else "Drama"  # make_graph's genres

    for row in json.loads(out)["rows"]:
        rec = row["movieId"]
        # brute force, in the query's order: the SIMILAR score, then shared genres, then movieId (ratings tie)
        expected = []
        for m in liked:
            if m == rec:
                continue
            shared = [genre(m)] if genre(m) == genre(rec) else []
            similarity = links.get(rec, {}).get(m)
            if shared or similarity is not None:
                expected.append((-(similarity or 0.0), -len(shared), m, shared, similarity))
        expected.sort()
        assert [(b["movieId"], b["yourRating"], b["sharedGenres"], b["similarity"]) for b in row["because"]] == [
            (m, 4.0, shared, similarity) for _, _, m, shared, similarity in expected[:2]]
    text_code, text = invoke(["recommend", "--user", "102", "--k", "1", "--explain"], neo4j_env)
    assert text_code == 0 and "similarity 0.50" in text, text


def test_because_you_rated_returns_paths_from_the_user_to_the_movie(
    written: tuple[Graph, FixedRun, set[tuple[int, int]]]
) -> None:
    graph, run, rated = written
    top = expected_top_k(run, rated, 1)[102][0]
    liked = sorted(m for u, m in rated if u == 102)
    graph.write("MATCH (a:Movie {movieId: $a}), (b:Movie {movieId: $b}) "
                "CREATE (a)-[:SIMILAR {score: 0.5, rank: 1, runId: 'run-a'}]->(b)", a=liked[0], b=top)
    rows = graph.read(cypher.load("because_you_rated_paths"), userId=102, movieId=top, minRating=4.0, k=3)
    plain = graph.read(cypher.load("because_you_rated"), userId=102, movieId=top, minRating=4.0, k=3)
    assert [dict(r) for r in plain] == [{k: v for k, v in dict(r).items() if not k.endswith("Path")} for r in rows]
    assert rows and rows[0]["movieId"] == liked[0] and rows[0]["similarity"] == 0.5
    for row in rows:
        for path in (row["genrePath"], row["similarPath"]):
            if path is None:
                continue
            assert isinstance(path, GraphPath)
            assert path.start_node["userId"] == 102 and path.end_node["movieId"] == top
            assert dict(path.nodes[1])["movieId"] == row["movieId"]
    assert [n.get("movieId") for n in rows[0]["similarPath"].nodes] == [None, liked[0], top]
    assert all((row["genrePath"] is None) == (row["sharedGenres"] == []) for row in rows)


def test_unknown_user_fails_clearly_and_fallback_gives_popular_movies(
    written: tuple[Graph, FixedRun, set[tuple[int, int]]], neo4j_env: dict[str, str]
) -> None:
    graph, _, rated = written
    code, out = invoke(["recommend", "--user", "4242"], neo4j_env)
    assert code == 1
    assert out.strip() == ("Error: no user with userId 4242 in database 'neo4j' (--fallback answers with popular "
                           "movies for a new user)")
    code, out = invoke(["recommend", "--user", "4242", "--fallback", "--k", "3", "--format", "json"], neo4j_env)
    assert code == 0, out
    data = json.loads(out)
    assert data["source"] == "popular"
    by_count: dict[int, int] = {}
    for _, mid in rated:
        by_count[mid] = by_count.get(mid, 0) + 1
    expected = sorted(by_count, key=lambda m: (-by_count[m], m))[:3]
    assert [r["movieId"] for r in data["rows"]] == expected


def test_without_an_active_run_fallback_is_collaborative_filtering(graph: Graph, neo4j_env: dict[str, str]) -> None:
    make_graph(graph)
    code, out = invoke(["recommend", "--user", "102"], neo4j_env)
    assert code == 1 and "no model run is active" in out
    code, out = invoke(["recommend", "--user", "102", "--fallback", "--format", "json"], neo4j_env)
    assert code == 0, out
    data = json.loads(out)
    assert data["source"] == "collaborative_filtering"
    rated_by_102 = {r["m"] for r in graph.read("MATCH (:User {userId: 102})-[:RATED]->(m) RETURN m.movieId AS m")}
    assert data["rows"] and not {r["movieId"] for r in data["rows"]} & rated_by_102
    scores = [r["score"] for r in data["rows"]]
    assert scores == sorted(scores, reverse=True)
    code, out = invoke(["recommend", "--user", "101", "--fallback", "--format", "json"], neo4j_env)
    assert json.loads(out)["source"] == "popular"  # user 101 rated nothing


INJECTIONS = ["Comedy' OR 1=1 //", "Comedy\"}) DETACH DELETE n //", "x'}) MATCH (n) DETACH DELETE n RETURN 1 //",
              "`Comedy`", "$genre"]


def test_injection_strings_have_no_effect(
    written: tuple[Graph, FixedRun, set[tuple[int, int]]], neo4j_env: dict[str, str]
) -> None:
    graph, _, _ = written
    before = counts(graph)
    for evil in INJECTIONS:
        code, out = invoke(["recommend", "--user", "102", "--genre", evil], neo4j_env)
        assert code == 1 and out.startswith(f"Error: no genre named {evil!r}"), out
        code, out = invoke(["similar", "--title", evil], neo4j_env)
        assert code == 1 and out.strip() == f"Error: no movie titled {evil!r} in database 'neo4j'", out
        code, out = invoke(["recommend", "--user", f"102 {evil}"], neo4j_env)
        assert code == 2 and "is not a valid integer" in out
        code, out = invoke(["similar", "--movie", f"1 {evil}"], neo4j_env)
        assert code == 2 and "is not a valid integer" in out
        code, out = invoke(["score", "--user", f"102 {evil}", "--movie", "1"], neo4j_env)
        assert code == 2 and "is not a valid integer" in out
    assert counts(graph) == before


def test_similar_by_title_and_by_id(written: tuple[Graph, FixedRun, set[tuple[int, int]]],
                                    neo4j_env: dict[str, str]) -> None:
    graph, run, _ = written
    code, by_title = invoke(["similar", "--title", "toy story", "--k", "4", "--format", "json"], neo4j_env)
    assert code == 0, by_title
    code, by_year = invoke(["similar", "--title", "Toy Story (1995)", "--k", "4", "--format", "json"], neo4j_env)
    code, by_id = invoke(["similar", "--movie", "1001", "--k", "4", "--format", "json"], neo4j_env)
    assert json.loads(by_title) == json.loads(by_id) == json.loads(by_year)
    data = json.loads(by_id)
    assert data["movie"]["title"] == "Toy Story" and len(data["similar"]) == 4
    assert 1001 not in [r["movieId"] for r in data["similar"]]
    code, out = invoke(["similar", "--title", "Movie 10"], neo4j_env)
    assert code == 1 and "matches several movies" in out
    code, out = invoke(["similar", "--movie", "5"], neo4j_env)
    assert code == 1 and out.strip() == "Error: no movie with movieId 5 in database 'neo4j'"
    code, out = invoke(["similar"], neo4j_env)
    assert code == 2 and "exactly one of --movie ID and --title TITLE" in out


def test_runs_lists_the_active_run_first(written: tuple[Graph, FixedRun, set[tuple[int, int]]],
                                         neo4j_env: dict[str, str]) -> None:
    graph, _, _ = written
    write_back(graph, FixedRun("run-b", *users_and_movies(), seed=6, metrics={"rmse": 0.9}), k=2)
    code, out = invoke(["runs"], neo4j_env)
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0].split() == ["active", "runId", "model", "createdAt", "recommendations", "rmse", "mae",
                                "recall@10", "ndcg@10"]
    assert lines[1].split()[:2] == ["*", "run-b"] and lines[1].split()[4:6] == [str(2 * 30), "0.900"]
    assert lines[2].split()[:1] == ["run-a"] and lines[2].split()[3] == "0"
    code, out = invoke(["runs", "--format", "json"], neo4j_env)
    assert [(r["runId"], r["active"], r["metrics"]) for r in json.loads(out)] == [
        ("run-b", True, {"rmse": 0.9}), ("run-a", False, {"recall@10": 0.25})
    ]


def test_writeback_and_score_commands(graph: Graph, neo4j_env: dict[str, str], tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    rated = make_graph(graph)
    run = FixedRun("run-cli", *users_and_movies(), seed=5, path=tmp_path)
    monkeypatch.setattr(run_cmds, "_load_run", lambda path: run)  # the GNN's own loader is tested in gnn
    code, out = invoke(["writeback", str(tmp_path), "--k", "4", "--batch-size", "7", "-q"], neo4j_env)
    assert code == 0, out
    recs = 3 + 29 * 4  # user 100 has only three unrated movies
    assert out.splitlines()[0] == (
        f"run run-cli is active: {recs} recommendations for 30 users (k=4), 70 embeddings of 8 dims"
    )
    top = expected_top_k(run, rated, 4)[102]
    code, out = invoke(["score", "--user", "102", "--movie", str(top[1]), "--format", "json"], neo4j_env)
    assert code == 0, out
    data = json.loads(out)
    assert (data["scoreRank"] >= 2, data["recommendedRank"], data["rating"], data["runId"]) == (True, 2, None,
                                                                                                "run-cli")
    ui, mi = run.user_ids.index(102), run.movie_ids.index(top[1])
    assert data["score"] == pytest.approx(float(run.user_emb[ui] @ run.movie_emb[mi]), abs=1e-5)
    rated_movie = min(m for u, m in rated if u == 102)
    code, out = invoke(["score", "--user", "102", "--movie", str(rated_movie)], neo4j_env)
    assert code == 0 and "actual rating 4" in out
    code, out = invoke(["score", "--user", "99999", "--movie", "1000"], neo4j_env)
    assert code == 1 and out.strip() == "Error: userId 99999 is not in run run-cli"
