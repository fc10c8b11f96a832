"""Loading releases into the real Neo4j: exact counts, idempotency, updates on top."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from movierec.cli import cli
from movierec.core.db import Graph
from movierec.cypher.admin import wipe
from movierec.ingest.load import ingest_release
from tests.ingest.releases import (
    CSV_MOVIES,
    CSV_RATINGS,
    csv_release,
    ml1m_release,
    ml10m_release,
    ml100k_release,
    zip_release,
)

ML_LATEST_SMALL_GENRES = [
    "Action", "Adventure", "Animation", "Children", "Comedy", "Crime", "Documentary", "Drama", "Fantasy",
    "Film-Noir", "Horror", "IMAX", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
]


def _counts(graph: Graph) -> dict[str, int]:
    return {
        "User": graph.read("MATCH (n:User) RETURN count(n) AS n")[0]["n"],
        "Movie": graph.read("MATCH (n:Movie) RETURN count(n) AS n")[0]["n"],
        "Genre": graph.read("MATCH (n:Genre) RETURN count(n) AS n")[0]["n"],
        "RATED": graph.read("MATCH ()-[r:RATED]->() RETURN count(r) AS n")[0]["n"],
        "TAGGED": graph.read("MATCH ()-[r:TAGGED]->() RETURN count(r) AS n")[0]["n"],
        "IN_GENRE": graph.read("MATCH ()-[r:IN_GENRE]->() RETURN count(r) AS n")[0]["n"],
    }


@pytest.mark.neo4j
def test_ml_latest_small_exact_counts_and_twice_is_the_same(
    graph: Graph, ml_latest_small: Path, neo4j_env: dict[str, str]
) -> None:
    result = CliRunner().invoke(cli, ["ingest", "--path", str(ml_latest_small), "--quiet"], env=neo4j_env,
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "[:RATED]      100,836" in result.output
    expected = {"User": 610, "Movie": 9742, "Genre": 19, "RATED": 100836, "TAGGED": 3683, "IN_GENRE": 22050}
    assert _counts(graph) == expected

    genres = [r["name"] for r in graph.read("MATCH (g:Genre) RETURN g.name AS name ORDER BY name")]
    assert genres == ML_LATEST_SMALL_GENRES
    movie = graph.read(
        "MATCH (m:Movie {movieId: 1}) "
        "RETURN m.title AS title, m.year AS year, m.imdbId AS imdbId, m.tmdbId AS tmdbId, "
        "COLLECT { MATCH (m)-[:IN_GENRE]->(g) RETURN g.name ORDER BY g.name } AS genres"
    )[0]
    assert dict(movie) == {
        "title": "Toy Story", "year": 1995, "imdbId": 114709, "tmdbId": 862,
        "genres": ["Adventure", "Animation", "Children", "Comedy", "Fantasy"],
    }
    rated = graph.read(
        "MATCH (:User {userId: 1})-[r:RATED]->(:Movie {movieId: 1}) "
        "RETURN r.rating AS rating, r.timestamp.epochSeconds AS ts"
    )
    assert [dict(r) for r in rated] == [{"rating": 4.0, "ts": 964982703}]
    half = graph.read("MATCH ()-[r:RATED]->() WHERE r.rating = 3.5 RETURN count(r) AS n")[0]["n"]
    assert half == 13136
    babylon = graph.read("MATCH (m:Movie {movieId: 40697}) RETURN m.title AS title, m.year AS year")[0]
    assert dict(babylon) == {"title": "Babylon 5", "year": None}
    no_tmdb = graph.read("MATCH (m:Movie) WHERE m.tmdbId IS NULL RETURN count(m) AS n")[0]["n"]
    assert no_tmdb == 8

    summary = ingest_release(graph, ml_latest_small)
    assert _counts(graph) == expected
    assert summary.nodes == {"User": 610, "Movie": 9742, "Genre": 19}
    assert summary.relationships == {"RATED": 100836, "TAGGED": 3683, "IN_GENRE": 22050}
    assert summary.rows["ratings"] == 100836


def _ingest(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["ingest", "--quiet", *args], env=env)
    return result.exit_code, result.output


@pytest.mark.neo4j
def test_every_format_loads_with_its_properties(graph: Graph, tmp_path: Path) -> None:
    ingest_release(graph, ml100k_release(tmp_path / "ml-100k"))
    assert _counts(graph) == {"User": 2, "Movie": 3, "Genre": 4, "RATED": 3, "TAGGED": 0, "IN_GENRE": 4}
    row = graph.read(
        "MATCH (u:User {userId: 196})-[r:RATED]->(m:Movie {movieId: 1}) RETURN u.gender AS gender, u.age AS age, "
        "u.occupation AS occupation, u.zip AS zip, r.rating AS rating, m.releaseDate AS date, m.title AS title"
    )[0]
    assert row["rating"] == 3.0 and isinstance(row["rating"], float)
    assert (row["gender"], row["age"], row["occupation"], row["zip"]) == ("M", 49, "writer", "55105")
    assert (row["title"], row["date"].iso_format()) == ("Toy Story", "1995-01-01")
    assert graph.read("MATCH (m:Movie {movieId: 2}) RETURN m.title AS t")[0]["t"] == "Café au lait"

    wipe(graph)
    ingest_release(graph, ml1m_release(tmp_path / "ml-1m"))
    assert _counts(graph) == {"User": 2, "Movie": 3, "Genre": 6, "RATED": 3, "TAGGED": 0, "IN_GENRE": 7}
    assert graph.read("MATCH (u:User {userId: 1}) RETURN u.occupation AS o")[0]["o"] == "K-12 student"

    wipe(graph)
    ingest_release(graph, ml10m_release(tmp_path / "ml-10m"))
    assert _counts(graph) == {"User": 4, "Movie": 3, "Genre": 5, "RATED": 3, "TAGGED": 2, "IN_GENRE": 6}
    tagged = graph.read("MATCH (:User {userId: 15})-[t:TAGGED]->(:Movie {movieId: 1}) "
                        "RETURN t.tag AS tag, t.timestamp.epochSeconds AS ts")
    assert [dict(r) for r in tagged] == [{"tag": "excellent! :: really", "ts": 1215184630}]
    half = graph.read("MATCH (:User {userId: 1})-[r:RATED]->(:Movie {movieId: 5}) RETURN r.rating AS r")
    assert half[0]["r"] == 3.5


@pytest.mark.neo4j
def test_newer_release_on_top_updates_without_duplicates(graph: Graph, tmp_path: Path) -> None:
    old = csv_release(tmp_path / "old")
    ingest_release(graph, old)
    before = _counts(graph)
    assert before == {"User": 4, "Movie": 5, "Genre": 9, "RATED": 5, "TAGGED": 3, "IN_GENRE": 14}
    new = csv_release(
        tmp_path / "new",
        movies_csv=CSV_MOVIES.replace("Toy Story (1995),Adventure|Animation|Children|Comedy|Fantasy",
                                      "Toy Story (1995),Animation|Comedy") + "200,New Film (2024),Horror\n",
        ratings_csv=CSV_RATINGS.replace("1,1,4.0,964982703", "1,1,2.5,1700000000") + "5,200,4.5,1700000001\n",
    )
    summary = ingest_release(graph, new, batch_size=2)
    assert summary.relationships == {"RATED": 6, "TAGGED": 3, "IN_GENRE": 12}
    assert summary.nodes == {"User": 5, "Movie": 6, "Genre": 10}
    rerated = graph.read("MATCH (:User {userId: 1})-[r:RATED]->(:Movie {movieId: 1}) "
                         "RETURN r.rating AS rating, r.timestamp.epochSeconds AS ts")
    assert [dict(r) for r in rerated] == [{"rating": 2.5, "ts": 1700000000}]
    genres = graph.read("MATCH (:Movie {movieId: 1})-[:IN_GENRE]->(g) RETURN g.name AS g ORDER BY g")
    assert [r["g"] for r in genres] == ["Animation", "Comedy"]
    # The genres Toy Story lost still exist (other movies, or nodes kept on purpose): nothing was duplicated.
    assert ingest_release(graph, new).relationships == {"RATED": 6, "TAGGED": 3, "IN_GENRE": 12}


@pytest.mark.neo4j
def test_bad_input_leaves_the_database_unchanged(
    graph: Graph, tmp_path: Path, neo4j_env: dict[str, str]
) -> None:
    bad = csv_release(tmp_path / "bad", ratings_csv="userId,movieId,rating,timestamp\n1,1,4.0,1\n1,11,9,2\n")
    code, output = _ingest(neo4j_env, "--path", str(bad))
    assert (code, output) == (1, "Error: ratings.csv line 3: rating 9 is out of range (expected 0.5 to 5 in half "
                                 "stars)\n")
    assert graph.read("MATCH (n) RETURN count(n) AS n")[0]["n"] == 0
    assert graph.read("SHOW CONSTRAINTS YIELD name RETURN count(*) AS n")[0]["n"] == 0

    ingest_release(graph, csv_release(tmp_path / "good"))
    before = _counts(graph)
    cases = {
        "missing": csv_release(tmp_path / "missing"),
        "unknown movie": csv_release(tmp_path / "unknown", tags_csv="userId,movieId,tag,timestamp\n9,777,x,1\n"),
        "encoding": csv_release(tmp_path / "enc", movies_csv=CSV_MOVIES.encode("utf-8").replace(b"\xc3\xa9", b"\xe9")),
        "columns": csv_release(tmp_path / "cols", links_csv="movieId,imdb\n1,2\n"),
        "non-numeric": csv_release(tmp_path / "nan", ratings_csv=CSV_RATINGS.replace("3.5", "good")),
    }
    (cases["missing"] / "movies.csv").unlink()
    truncated = zip_release(csv_release(tmp_path / "z"), tmp_path / "ml-latest-small.zip")
    truncated.write_bytes(truncated.read_bytes()[:300])
    cases["truncated zip"] = truncated
    expected = {
        "missing": f"Error: {cases['missing']}: missing movies.csv",
        "unknown movie": "Error: tags.csv line 2: movieId 777 is not in movies.csv",
        "encoding": "Error: movies.csv line 4: not valid UTF-8 (byte 0xe9)",
        "columns": "Error: links.csv line 1: header is 'movieId,imdb', expected 'movieId,imdbId,tmdbId'",
        "non-numeric": "Error: ratings.csv line 3: rating 'good' is not a number",
        "truncated zip": f"Error: {truncated}: not a readable zip archive (truncated or corrupt?)",
    }
    for name, path in cases.items():
        code, output = _ingest(neo4j_env, "--path", str(path))
        assert code == 1, name
        assert output.startswith(expected[name]), output
        assert len(output.strip().splitlines()) == 1, output
        assert _counts(graph) == before, name


def test_rating_batches_hold_whole_users_and_split_only_a_user_larger_than_a_batch() -> None:
    import pandas as pd

    from movierec.ingest.load import _rating_groups

    users = [1] * 3 + [2] * 4 + [3] * 9 + [4] * 2 + [5]
    ratings = pd.DataFrame({"userId": users, "movieId": range(1, len(users) + 1), "rating": [3.0] * len(users),
                            "timestamp": [0] * len(users)})
    batches = list(_rating_groups(ratings.sample(frac=1, random_state=0), batch_size=5))
    shape = [[(row["userId"], len(row["movieIds"])) for row in batch] for batch in batches]
    assert shape == [[(1, 3)], [(2, 4)], [(3, 5)], [(3, 4)], [(4, 2), (5, 1)]]
    assert sorted(m for batch in batches for row in batch for m in row["movieIds"]) == list(range(1, 20))


def _changed_at(graph: Graph) -> dict[int, int | None]:
    rows = graph.read("MATCH (u:User) RETURN u.userId AS user, u.ratingsChangedAt AS t ORDER BY user")
    return {r["user"]: r["t"] for r in rows}


@pytest.mark.neo4j
def test_ratings_changed_at_marks_exactly_the_users_whose_ratings_changed(graph: Graph, tmp_path: Path) -> None:
    old = csv_release(tmp_path / "old")
    summary = ingest_release(graph, old)
    # the indexes that find these changes exist from the first load on (filled in the background)
    indexes = {r["name"]: r["properties"] for r in graph.read("SHOW RANGE INDEXES YIELD name, properties")}
    assert indexes["rated_timestamp"] == ["timestamp"] and indexes["user_ratings_changed_at"] == ["ratingsChangedAt"]
    assert "indexes" in summary.phase_seconds
    first = _changed_at(graph)
    assert sorted(first) == [1, 2, 3, 4]
    assert first[4] is None  # user 4 only tagged
    assert all(isinstance(first[u], int) for u in (1, 2, 3))

    ingest_release(graph, old)  # the same release again changes no rating, so no user is marked again
    assert _changed_at(graph) == first

    new = csv_release(
        tmp_path / "new",
        ratings_csv=CSV_RATINGS.replace("1,1,4.0,964982703", "1,1,2.5,1700000000")
        .replace("2,29,0.5,964982224", "2,29,0.5,964982225") + "5,11,4.5,1700000001\n",
    )
    ingest_release(graph, new, batch_size=2)
    second = _changed_at(graph)
    assert {u: second[u] for u in (3, 4)} == {u: first[u] for u in (3, 4)}
    assert second[1] is not None and first[1] is not None and second[1] > first[1]  # re-rated
    assert second[2] is not None and first[2] is not None and second[2] > first[2]  # only the timestamp changed
    assert second[5] is not None and second[5] > first[1]  # a new user's first rating
