"""Reading what movierec wrote: recommendations, explanations, similar movies, predicted ratings, model runs.

The functions here run the Cypher library's queries (``cypher/*.cypher``) with values as
parameters, so user input (ids, genres, titles) never becomes query text; they return data and
print nothing. The ``movierec recommend / similar / runs`` commands are thin layers over them.

Example:
    >>> with connect(Neo4jSettings.resolve()) as graph:
    ...     recommend(graph, user_id=1, k=5).rows[0]["title"]
"""

from __future__ import annotations

import itertools
import json
import re
from array import array
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from movierec import cypher
from movierec.core.db import Graph
from movierec.core.errors import NotFoundError

MIN_RATING = 4.0  # what "rated highly" means for explanations and collaborative filtering
NEIGHBOURS = 50  # like-minded users who vote in collaborative filtering
POPULAR_MIN_MEAN = 3.5  # cold start: most rated movies among those with at least this mean rating


# -- reading recommendations (library-style: return data, print nothing) ---------------------------


@dataclass
class Recommendations:
    """A user's recommendations and where they came from.

    Attributes:
        user_id (int): The userId asked for.
        source (str): ``"model"``, ``"collaborative_filtering"`` or ``"popular"``.
        run_id (str, optional): The active run, when ``source`` is ``"model"``.
        note (str, optional): Why a fallback was used.
        rows (list[dict]): ``rank, movieId, title, year, genres, score`` (+ ``predictedRating``, ``because``).
    """

    user_id: int
    source: str
    run_id: str | None = None
    note: str | None = None
    rows: list[dict[str, Any]] = field(default_factory=list)


def active_run(graph: Graph) -> dict[str, Any] | None:
    """The active ModelRun's ``runId, model, path, createdAt, metrics``, or ``None``."""
    records = graph.read(cypher.load("read_active_run"))
    return dict(records[0]) if records else None


def check_genre(graph: Graph, genre: str | None) -> None:
    """Raise :class:`NotFoundError` unless ``genre`` is ``None`` or an existing Genre's name."""
    if genre is None:
        return
    names = [r["name"] for r in graph.read(cypher.load("read_genres"))]
    if genre not in names:
        raise NotFoundError(f"no genre named {genre!r} (known: {', '.join(names) or 'none, ingest first'})")


def recommend(graph: Graph, user_id: int, k: int = 10, genre: str | None = None, fallback: bool = False,
              explain: bool = False) -> Recommendations:
    """The active run's recommendations for a user, or with ``fallback`` a pure-Cypher answer.

    Args:
        graph (Graph): The database.
        user_id (int): The user's userId.
        k (int): How many. (default: ``10``)
        genre (str, optional): Only movies in this genre.
        fallback (bool): For an unknown user, answer with popular movies (cold start); with no active
            run or no recommendations for the user, collaborative filtering (or popular movies for a
            user without ratings). (default: ``False``)
        explain (bool): Add ``because``: the user's own highly rated movies that connect to each one.
            (default: ``False``)

    Returns:
        Recommendations: The rows, best first.

    Raises:
        NotFoundError: Unknown genre; unknown user, no active run or no recommendations for the
            user, without ``fallback``.
    """
    check_genre(graph, genre)
    user = graph.read(cypher.load("read_user"), userId=user_id)
    if not user:
        if not fallback:
            raise NotFoundError(
                f"no user with userId {user_id} in database {graph.database!r} (--fallback answers with popular "
                "movies for a new user)"
            )
        return Recommendations(user_id, "popular", note=f"userId {user_id} is not in the graph: cold start",
                               rows=_popular(graph, None, k, genre))
    run = active_run(graph)
    if run is not None and user[0]["recommendations"] > 0:
        rows = [dict(r) for r in graph.read(cypher.load("recommend_for_user"), userId=user_id, k=k, genre=genre)]
        result = Recommendations(user_id, "model", run_id=run["runId"], rows=rows)
    elif not fallback:
        if run is None:
            raise NotFoundError(
                "no model run is active: run `movierec pipeline` (or `movierec writeback RUN`), or use --fallback "
                "for collaborative filtering in Cypher"
            )
        raise NotFoundError(
            f"the active run {run['runId']} has no recommendations for userId {user_id} (not in its training "
            "data?); --fallback answers with collaborative filtering"
        )
    else:
        why = "no model run is active" if run is None else f"run {run['runId']} has nothing for this user"
        if user[0]["ratings"] > 0:
            rows = [dict(r) for r in graph.read(
                cypher.load("collaborative_filtering"), userId=user_id, k=k, genre=genre, minRating=MIN_RATING,
                neighbours=NEIGHBOURS,
            )]
            result = Recommendations(user_id, "collaborative_filtering", note=why, rows=rows)
        else:
            result = Recommendations(user_id, "popular", note=f"{why}; the user has no ratings",
                                     rows=_popular(graph, user_id, k, genre))
    for rank, row in enumerate(result.rows, start=1):
        row.setdefault("rank", rank)
        if explain:
            row["because"] = because_you_rated(graph, user_id, row["movieId"], k=2)
    return result


def because_you_rated(graph: Graph, user_id: int, movie_id: int, k: int = 3,
                      min_rating: float = MIN_RATING) -> list[dict[str, Any]]:
    """The user's highly rated movies that connect to ``movie_id`` (the run's SIMILAR, shared genres), strongest first.

    Args:
        graph (Graph): The database.
        user_id (int): The user's userId.
        movie_id (int): The recommended movie.
        k (int): How many connecting movies. (default: ``3``)
        min_rating (float): What counts as highly rated. (default: ``4.0``)

    Returns:
        list[dict]: ``movieId, title, yourRating, sharedGenres, similarity`` per connecting movie (``similarity``:
        the score of their SIMILAR relationship, ``None`` when they are linked by genres only).
    """
    records = graph.read(cypher.load("because_you_rated"), userId=user_id, movieId=movie_id, k=k,
                         minRating=min_rating)
    keep = ("movieId", "title", "yourRating", "sharedGenres", "similarity")
    return [{key: r[key] for key in keep} for r in records]


def _popular(graph: Graph, user_id: int | None, k: int, genre: str | None) -> list[dict[str, Any]]:
    return [dict(r) for r in graph.read(cypher.load("popular_in_genre"), genre=genre, k=k, minMean=POPULAR_MIN_MEAN,
                                        userId=user_id)]


_TITLE_YEAR = re.compile(r"^(?P<title>.*\S)\s*\((?P<year>\d{4})\)\s*$")


def find_movie(graph: Graph, movie_id: int | None = None, title: str | None = None) -> dict[str, Any]:
    """A movie by movieId, or by title (case-insensitive, "Title (1995)" also accepted).

    An exact title wins, the most rated first; otherwise a single movie whose title contains ``title``.

    Raises:
        NotFoundError: No such movie, or a partial title that matches several.
    """
    if movie_id is not None:
        records = graph.read(cypher.load("read_movie"), movieId=movie_id)
        if not records:
            raise NotFoundError(f"no movie with movieId {movie_id} in database {graph.database!r}")
        return dict(records[0])
    assert title is not None
    match = _TITLE_YEAR.match(title)
    name, year = (match["title"], int(match["year"])) if match else (title.strip(), None)
    found = graph.read(cypher.load("find_movies_by_title"), title=name, year=year, limit=5)
    if not found:
        raise NotFoundError(f"no movie titled {title!r} in database {graph.database!r}")
    if not found[0]["exact"] and len(found) > 1:
        options = "; ".join(f"{r['movieId']}: {r['title']} ({r['year']})" for r in found)
        raise NotFoundError(f"{title!r} matches several movies, pick one with --movie: {options}")
    return dict(graph.read(cypher.load("read_movie"), movieId=found[0]["movieId"])[0])


SIMILAR_BY = ("co-rating", "embedding")


def similar(graph: Graph, movie: dict[str, Any], k: int = 10, by: str = "co-rating") -> list[dict[str, Any]]:
    """The ``k`` movies most similar to ``movie`` (``movieId, title, year, genres, score``), best first.

    Args:
        graph (Graph): The database.
        movie (dict): The movie, as :func:`find_movie` returns it.
        k (int): How many movies. (default: ``10``)
        by (str): ``"co-rating"``: the active run's ``SIMILAR`` relationships (movies rated by the same
            users; ``cypher/similar_movies.cypher``), or the embedding index when the active run was
            written without them (older runs); ``"embedding"``: nearest in the active run's embedding
            space (vector index; ``cypher/similar_by_embedding.cypher``). (default: ``"co-rating"``)

    Raises:
        NotFoundError: No run is active, or (by embedding) the movie has no embedding.
        ValueError: ``by`` is not one of :data:`SIMILAR_BY`.
    """
    if by not in SIMILAR_BY:
        raise ValueError(f"by must be one of {', '.join(SIMILAR_BY)}, got {by!r}")
    run = active_run(graph)
    if by == "co-rating" and run is not None and run.get("similarK") is not None:
        return [dict(r) for r in graph.read(cypher.load("similar_movies"), movieId=movie["movieId"], k=k)]
    if not movie["embedded"]:
        why = "no model run is active" if run is None else f"run {run['runId']} did not embed it"
        raise NotFoundError(f"movie {movie['movieId']} ({movie['title']}) has no embedding: {why}")
    return [dict(r) for r in graph.read(cypher.load("similar_by_embedding"), movieId=movie["movieId"], k=k)]


def predict_ratings(graph: Graph, user_id: int, movie_ids: list[int]) -> list[dict[str, Any]]:
    """The active run's predicted rating of ``user_id`` for each of ``movie_ids``, computed in Cypher.

    Runs ``cypher/predict_rating.cypher``: the rating model the writeback stored on the nodes and the active
    ModelRun (offset + biases + dot product of factors, clamped), the number ``TrainedRun.predict_rating`` gives.

    Args:
        graph (Graph): The database.
        user_id (int): The user's userId.
        movie_ids (list[int]): The movies' movieIds.

    Returns:
        list[dict]: ``movieId, title, predictedRating, runId`` per movie, in the order of ``movie_ids``;
        ``predictedRating`` is ``None`` where the active run does not cover the user or the movie (or none is
        active: then ``runId`` is ``None`` too).
    """
    return [dict(r) for r in graph.read(cypher.load("predict_rating"), userId=user_id, movieIds=list(movie_ids))]


def model_runs(graph: Graph) -> list[dict[str, Any]]:
    """Every ModelRun, the active one first, with metrics parsed from JSON."""
    rows = []
    for r in graph.read(cypher.load("model_runs")):
        row = dict(r)
        row["metrics"] = json.loads(row["metrics"] or "{}")
        row["params"] = json.loads(row["params"] or "{}")
        row["createdAt"] = row["createdAt"].iso_format() if row["createdAt"] is not None else None
        rows.append(row)
    return rows


def read_rated_pairs(graph: Graph) -> tuple[np.ndarray, np.ndarray]:
    """Every rated ``(userId, movieId)`` pair in the graph, as two parallel int64 arrays.

    Streams one record per user (``cypher/read_rated_pairs.cypher``) into typed arrays: at
    25M ratings a list of Python tuples would cost gigabytes.
    """
    users, movies = array("q"), array("q")
    for record in graph.stream(cypher.load("read_rated_pairs"), fetch_size=1_000):
        movie_ids = record["movieIds"]
        movies.extend(movie_ids)
        users.extend(itertools.repeat(record["userId"], len(movie_ids)))
    return np.frombuffer(users, dtype=np.int64), np.frombuffer(movies, dtype=np.int64)
