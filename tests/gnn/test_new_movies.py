"""Reading the movies the active run has no place for (``gnn/serving/new_movies.py``), on a real Neo4j."""

from __future__ import annotations

import pytest

from movierec.core.db import Graph
from movierec.gnn.serving.new_movies import read_new_movies
from tests.fixtures import make_graph


def test_movies_without_an_embedding_come_back_with_their_content_and_ratings(graph: Graph) -> None:
    pairs = make_graph(graph, n_users=6, n_movies=8)
    # the run's writeback gave movies 1000..1005 an embedding; 1006, 1007 came later, and one is created in Cypher
    graph.write("MATCH (m:Movie) WHERE m.movieId < 1006 SET m.embedding = [0.1, 0.2]")
    graph.write("CREATE (:Movie {movieId: 2000000, title: 'Made in Cypher'})")
    new = read_new_movies(graph)
    assert [m.movie_id for m in new] == [1006, 1007, 2000000]
    for movie in new[:2]:
        assert movie.title == f"Movie {movie.movie_id}" and movie.year == 2000
        assert movie.genres == frozenset({"Comedy" if movie.movie_id % 2 == 0 else "Drama"})
        assert movie.user_ids == sorted(u for u, m in pairs if m == movie.movie_id)
        assert movie.ratings == [4.0] * len(movie.user_ids)
    made = new[2]  # no genres, no ratings: a defined answer, empty
    assert (made.title, made.year, made.genres, made.user_ids, made.ratings) == ("Made in Cypher", None, frozenset(),
                                                                                 [], [])
    assert [m.movie_id for m in read_new_movies(graph, limit=1)] == [1006]
    with pytest.raises(ValueError, match="at least 1"):
        read_new_movies(graph, limit=0)
