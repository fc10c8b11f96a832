"""`movierec rate`: one rating written the way ingest does, and bad input that writes nothing."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from movierec.cli import cli
from movierec.core.db import Graph
from movierec.core.errors import IngestError
from movierec.ingest.load import ingest_release
from movierec.ingest.rate import check_rating, rate_movie
from tests.conftest import free_port
from tests.ingest.releases import csv_release

REFRESH_HINT = "; run `movierec refresh` to update their recommendations\n"


def _snapshot(graph: Graph) -> tuple[list[Any], list[Any]]:
    """Every node and relationship with its properties, in a fixed order."""
    nodes = graph.read("MATCH (n) RETURN labels(n) AS labels, properties(n) AS p ORDER BY elementId(n)")
    rels = graph.read("MATCH (a)-[r]->(b) RETURN elementId(a) AS a, type(r) AS t, properties(r) AS p, "
                      "elementId(b) AS b ORDER BY elementId(r)")
    return [dict(r) for r in nodes], [dict(r) for r in rels]


def _rated(graph: Graph, user: int, movie: int) -> list[dict[str, Any]]:
    return [dict(r) for r in graph.read(
        "MATCH (u:User {userId: $user})-[r:RATED]->(:Movie {movieId: $movie}) "
        "RETURN r.rating AS rating, r.timestamp.epochMillis AS ms, u.ratingsChangedAt AS changedAt, "
        "valueType(u.ratingsChangedAt) AS changedAtType, u.ratingsVersion AS version",
        user=user, movie=movie,
    )]


def _rate(env: dict[str, str], *args: str) -> Any:
    return CliRunner().invoke(cli, ["rate", *args], env=env)


@pytest.mark.neo4j
def test_a_new_user_rates_then_rerates_one_movie(graph: Graph, tmp_path: Path, neo4j_env: dict[str, str]) -> None:
    ingest_release(graph, csv_release(tmp_path / "release"))
    rated_before = graph.read("RETURN COUNT { ()-[:RATED]->() } AS n")[0]["n"]
    assert graph.read("MATCH (u:User {userId: 1001}) RETURN count(u) AS n")[0]["n"] == 0

    start = int(time.time() * 1000)
    result = _rate(neo4j_env, "--user", "1001", "--movie", "1", "--rating", "4.5")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == "new user 1001 rated movie 1 (Toy Story (1995)) 4.5" + REFRESH_HINT
    first = _rated(graph, 1001, 1)
    assert len(first) == 1
    assert (first[0]["rating"], first[0]["changedAtType"]) == (4.5, "INTEGER NOT NULL")
    # The rating's timestamp is now, and ratingsChangedAt is the same instant in epoch milliseconds.
    assert start <= first[0]["ms"] == first[0]["changedAt"] <= int(time.time() * 1000)

    result = _rate(neo4j_env, "--user", "1001", "--movie", "1", "--rating", "2")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == "user 1001 rated movie 1 (Toy Story (1995)) 2 (was 4.5)" + REFRESH_HINT
    second = _rated(graph, 1001, 1)
    assert len(second) == 1  # MERGE: the re-rate replaced the rating, it did not add one
    assert second[0]["rating"] == 2.0
    assert first[0]["ms"] <= second[0]["ms"] == second[0]["changedAt"]
    assert graph.read("RETURN COUNT { ()-[:RATED]->() } AS n")[0]["n"] == rated_before + 1

    # The library: an existing user re-rates a movie from the release; the title without a year stays bare.
    written = rate_movie(graph, 1, "11", "3")
    assert (written.user_id, written.movie_id, written.movie, written.rating, written.previous, written.new_user) \
        == (1, 11, "American President, The (1995)", 3.0, 3.5, False)
    assert written.ratings_changed_at == round(written.timestamp.timestamp() * 1000)
    assert rate_movie(graph, 1, 40697, 5.0).movie == "Babylon 5"
    assert graph.read("RETURN COUNT { ()-[:RATED]->() } AS n")[0]["n"] == rated_before + 2


@pytest.mark.neo4j
def test_bad_input_is_one_line_and_writes_nothing(graph: Graph, tmp_path: Path, neo4j_env: dict[str, str]) -> None:
    ingest_release(graph, csv_release(tmp_path / "release"))
    before = _snapshot(graph)
    cases = {
        ("5000", "999999", "4"): "Error: no movie with movieId 999999 in database 'neo4j'",  # a new user, too
        ("1", "999999", "4"): "Error: no movie with movieId 999999 in database 'neo4j'",
        ("1", "1", "7"): "Error: rating 7 is out of range (expected 0.5 to 5 in half stars)",
        ("1", "1", "0"): "Error: rating 0 is out of range (expected 0.5 to 5 in half stars)",
        ("1", "1", "4.25"): "Error: rating 4.25 is out of range (expected 0.5 to 5 in half stars)",
        ("1", "1", "good"): "Error: rating 'good' is not a number",
        ("1", "1", "nan"): "Error: rating 'nan' is not a finite number",
        ("one", "1", "4"): "Error: userId 'one' is not an integer",
        ("1", "Toy Story", "4"): "Error: movieId 'Toy Story' is not an integer",
        ("-3", "1", "4"): "Error: userId -3 is not positive",
    }
    for (user, movie, rating), message in cases.items():
        result = _rate(neo4j_env, "--user", user, "--movie", movie, "--rating", rating)
        assert (result.exit_code, result.stdout, result.stderr) == (1, "", message + "\n"), (user, movie, rating)
        assert _snapshot(graph) == before, (user, movie, rating)


@pytest.mark.neo4j
def test_the_readmes_plain_cypher_rating_is_written_like_rate(graph: Graph, tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### One rating at a time", 1)[1]
    query = re.search(r"```cypher\n(.*?)```", section, re.DOTALL)
    assert query is not None
    ingest_release(graph, csv_release(tmp_path / "release"))
    start = int(time.time() * 1000)
    for rating in (4, 3.5):  # a new user, then a re-rate
        graph.write(query.group(1), userId=1001, movieId=1, rating=rating)
    rows = _rated(graph, 1001, 1)
    assert len(rows) == 1
    assert (rows[0]["rating"], rows[0]["changedAtType"], rows[0]["version"]) == (3.5, "INTEGER NOT NULL", 2)
    assert start <= rows[0]["ms"] == rows[0]["changedAt"]


def test_an_unreachable_server_is_one_line() -> None:
    port = free_port()
    result = CliRunner().invoke(cli, ["rate", "--user", "1", "--movie", "1", "--rating", "4", "--uri",
                                      f"bolt://127.0.0.1:{port}", "--password", "x"])
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (f"Error: cannot reach Neo4j at bolt://127.0.0.1:{port}: is it running? Start the local "
                             "one with `movierec neo4j start`, or point NEO4J_URI/--uri at yours\n")


@pytest.mark.parametrize(("value", "expected"), [(0.5, 0.5), (5, 5.0), ("3.5", 3.5), (" 4 ", 4.0), ("1e0", 1.0)])
def test_ratings_movielens_could_hold_are_accepted(value: float | str, expected: float) -> None:
    assert check_rating(value) == expected


@pytest.mark.parametrize(("value", "message"), [
    (5.5, "rating 5.5 is out of range (expected 0.5 to 5 in half stars)"),
    (-1, "rating -1 is out of range (expected 0.5 to 5 in half stars)"),
    ("", "rating '' is not a number"),
    ("inf", "rating 'inf' is not a finite number"),
    ("4,5", "rating '4,5' is not a number"),
])
def test_other_ratings_are_refused(value: float | str, message: str) -> None:
    with pytest.raises(IngestError) as raised:
        check_rating(value)
    assert str(raised.value) == message
