"""Loading releases into the real Neo4j: exact counts, idempotency, updates on top."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ingest.load import ingest_release
from movierec.cli import cli
from movierec.db import Graph

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
