"""One rating written into Neo4j the way ingest writes a release's: validated, ``MERGE``d, timestamped now.

:func:`rate_movie` checks the rating as the release readers do (0.5 to 5 in half stars, a finite number),
then runs ``cypher/rate_movie.cypher``: one ``RATED`` per (user, movie), a re-rate replaces the rating
and its timestamp, a new userId creates the ``User``, and ``u.ratingsChangedAt`` (epoch milliseconds)
marks the user for ``movierec refresh``. An unknown movie writes nothing.

Example:
    >>> with connect(Neo4jSettings.resolve()) as graph:
    ...     written = rate_movie(graph, user_id=1001, movie_id=1, rating=4.5)
    >>> written.title, written.new_user
    ('Toy Story', True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from neo4j.exceptions import DriverError, Neo4jError

from movierec import cypher
from movierec.core.db import Graph
from movierec.core.errors import IngestError, Neo4jUnavailable, NotFoundError
from movierec.ingest.movielens import MAX_RATING, MIN_RATING


@dataclass(frozen=True)
class WrittenRating:
    """What :func:`rate_movie` wrote.

    Args:
        user_id (int): The user's userId.
        movie_id (int): The movie's movieId.
        title (str): The movie's title (without its year).
        year (int | None): The movie's year, ``None`` where its title has none.
        rating (float): The rating stored.
        previous (float | None): The rating it replaced, ``None`` when the user had not rated the movie.
        new_user (bool): Whether the ``User`` node was created by this rating.
        timestamp (datetime): The rating's timestamp (the server's clock, UTC).
        ratings_changed_at (int): ``u.ratingsChangedAt`` as written: the same instant in epoch milliseconds.
    """

    user_id: int
    movie_id: int
    title: str
    year: int | None
    rating: float
    previous: float | None
    new_user: bool
    timestamp: datetime
    ratings_changed_at: int

    @property
    def movie(self) -> str:
        """The movie as MovieLens names it, e.g. ``"Toy Story (1995)"``."""
        return f"{self.title} ({self.year})" if self.year is not None else self.title


def check_id(column: str, value: int | str) -> int:
    """A positive integer id, from an int or its text.

    Args:
        column (str): The id's name in messages, ``"userId"`` or ``"movieId"``.
        value (int | str): The id, e.g. ``1`` or ``"1"``.

    Raises:
        IngestError: ``value`` is not an integer, not positive, or past Neo4j's 64-bit integers.
    """
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            raise IngestError(f"{column} {value!r} is not an integer") from None
    if value < 1:
        raise IngestError(f"{column} {value} is not positive")
    if value >= 2**63:
        raise IngestError(f"{column} {value} is too large (Neo4j integers stop at 2^63 - 1)")
    return value


def check_rating(value: float | str) -> float:
    """A rating MovieLens could hold (0.5 to 5 in half stars), from a number or its text.

    Args:
        value (float | str): The rating, e.g. ``4.5`` or ``"4.5"``.

    Raises:
        IngestError: ``value`` is not a finite number, or out of range, or not a half star; the
            message is the one the release readers give, e.g.
            ``"rating 7 is out of range (expected 0.5 to 5 in half stars)"``.
    """
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise IngestError(f"rating {value!r} is not a number") from None
    else:
        number = float(value)
    if not math.isfinite(number):
        raise IngestError(f"rating {value!r} is not a finite number")
    if not MIN_RATING <= number <= MAX_RATING or number * 2 != round(number * 2):
        raise IngestError(
            f"rating {number:g} is out of range (expected {MIN_RATING:g} to {MAX_RATING:g} in half stars)"
        )
    return number


def rate_movie(graph: Graph, user_id: int | str, movie_id: int | str, rating: float | str) -> WrittenRating:
    """Write one rating, validated first, with the timestamp now (``cypher/rate_movie.cypher``).

    Args:
        graph (Graph): The database (a release ingested: the movie must exist).
        user_id (int | str): The user's userId; a new one creates the user.
        movie_id (int | str): The movie's movieId.
        rating (float | str): 0.5 to 5 in half stars.

    Returns:
        WrittenRating: What was written, and the rating it replaced.

    Raises:
        IngestError: A bad id or rating (nothing is written), or the server refused the write.
        NotFoundError: No movie with that movieId (nothing is written).
        Neo4jUnavailable: The server cannot be reached.
        Neo4jAuthError: The server rejects the user.
        DatabaseNotFound: The server has no such database.
    """
    user = check_id("userId", user_id)
    movie = check_id("movieId", movie_id)
    value = check_rating(rating)
    try:
        records = graph.write(cypher.load("rate_movie"), userId=user, movieId=movie, rating=value)
    except Neo4jError as e:
        raise IngestError(f"writing the rating failed: {e.message}") from e
    except DriverError as e:
        raise Neo4jUnavailable(f"writing the rating failed: {e}") from e
    if not records:
        raise NotFoundError(f"no movie with movieId {movie} in database {graph.database!r}")
    row = records[0]
    return WrittenRating(
        user_id=row["userId"], movie_id=row["movieId"], title=row["title"], year=row["year"], rating=row["rating"],
        previous=row["previous"], new_user=row["newUser"], timestamp=row["timestamp"].to_native(),
        ratings_changed_at=row["ratingsChangedAt"],
    )
