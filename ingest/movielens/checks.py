"""The normalised :class:`Release`, its tables' constructors, and the checks across rows and files.

Readers build the tables here (``_movies_frame``, ``_users_frame``, ``_tags_frame``), which reject
repeated ids; ``_check_ratings`` checks a ratings table (ids, half-star range, timestamps, a user
rating a movie twice); ``_assemble`` makes the :class:`Release` and ``_validate_references`` checks
that ratings and tags name known movies (and users, where the release lists them). Rows keep their
line (a ``_line`` column, or the table's ``first_line`` attribute) so that errors can name it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from movierec.ingest.movielens.fields import _fail
from movierec.ingest.movielens.source import _Source

logger = logging.getLogger(__name__)

MIN_RATING = 0.5
MAX_RATING = 5.0


@dataclass
class Release:
    """One MovieLens release, read, validated and normalised (see :mod:`movierec.ingest.movielens`).

    Args:
        dataset (str): The dataset name, e.g. ``"ml-latest-small"``.
        source (str): Where it was read from (a directory or a zip).
        movies (pandas.DataFrame): One row per movie.
        users (pandas.DataFrame): One row per user (every user that rated or tagged).
        ratings (pandas.DataFrame): One row per rating.
        tags (pandas.DataFrame): One row per distinct (user, movie, tag); empty without tags.
        has_demographics (bool): Whether ``users`` carries gender/age/occupation/zip.
    """

    dataset: str
    source: str
    movies: pd.DataFrame
    users: pd.DataFrame
    ratings: pd.DataFrame
    tags: pd.DataFrame
    has_demographics: bool = False
    genres: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Rows per normalised table, e.g. ``{"movies": 9742, "ratings": 100836, ...}``."""
        return {
            "movies": len(self.movies),
            "users": len(self.users),
            "genres": len(self.genres),
            "ratings": len(self.ratings),
            "tags": len(self.tags),
        }


def _line_of(frame: pd.DataFrame, position: int) -> int:
    if "_line" in frame.columns:
        return int(frame["_line"].iloc[position])
    return int(frame.attrs.get("first_line", 1)) + position


def _check_ratings(ratings: pd.DataFrame) -> pd.DataFrame:
    label = ratings.attrs["label"]
    if len(ratings) == 0:
        raise _fail(label, None, "has no ratings")
    for column in ("userId", "movieId"):
        bad = np.flatnonzero(ratings[column].to_numpy() < 1)
        if len(bad):
            raise _fail(label, _line_of(ratings, bad[0]), f"{column} {ratings[column].iloc[bad[0]]} is not positive")
    values = ratings["rating"].to_numpy()
    bad = np.flatnonzero((values < MIN_RATING) | (values > MAX_RATING) | (values * 2 != np.round(values * 2)))
    if len(bad):
        raise _fail(
            label, _line_of(ratings, bad[0]),
            f"rating {values[bad[0]]:g} is out of range (expected {MIN_RATING:g} to {MAX_RATING:g} in half stars)",
        )
    _check_timestamps(ratings)
    keys = ratings["userId"].to_numpy() * (int(ratings["movieId"].max()) + 1) + ratings["movieId"].to_numpy()
    dup = pd.Series(keys).duplicated().to_numpy()
    if dup.any():
        second = int(np.flatnonzero(dup)[0])
        first = int(np.flatnonzero(keys == keys[second])[0])
        raise _fail(
            label, _line_of(ratings, second),
            f"user {ratings['userId'].iloc[first]} rated movie {ratings['movieId'].iloc[first]} twice "
            f"(also line {_line_of(ratings, first)})",
        )
    return ratings


def _check_timestamps(frame: pd.DataFrame) -> None:
    ts = frame["timestamp"].to_numpy()
    bad = np.flatnonzero(ts < 0)
    if len(bad):
        raise _fail(frame.attrs["label"], _line_of(frame, bad[0]), f"timestamp {ts[bad[0]]} is negative")


def _movies_frame(rows: list[dict[str, object]], label: str) -> pd.DataFrame:
    movies = pd.DataFrame(
        rows, columns=["movieId", "title", "year", "genres", "imdbId", "tmdbId", "releaseDate", "_line"]
    )
    movies["movieId"] = movies["movieId"].astype("int64")
    for column in ("year", "imdbId", "tmdbId"):
        movies[column] = movies[column].astype("Int64")
    movies["releaseDate"] = pd.Series([d if isinstance(d, str) else None for d in movies["releaseDate"]],
                                      dtype=object, index=movies.index)
    movies.attrs["label"] = label
    dup = movies["movieId"].duplicated()
    if dup.any():
        position = int(np.flatnonzero(dup.to_numpy())[0])
        movie_id = int(movies["movieId"].iloc[position])
        first = int(movies.loc[movies["movieId"] == movie_id, "_line"].iloc[0])
        raise _fail(label, _line_of(movies, position), f"movieId {movie_id} appears twice (also line {first})")
    return movies


def _users_frame(rows: list[tuple[int, str, int, str, str, int]], label: str) -> pd.DataFrame:
    users = pd.DataFrame(rows, columns=["userId", "gender", "age", "occupation", "zip", "_line"])
    users.attrs["label"] = label
    dup = users["userId"].duplicated()
    if dup.any():
        position = int(np.flatnonzero(dup.to_numpy())[0])
        raise _fail(label, _line_of(users, position), f"userId {users['userId'].iloc[position]} appears twice")
    return users


def _empty_tags() -> pd.DataFrame:
    tags = pd.DataFrame({
        "userId": pd.Series([], dtype="int64"), "movieId": pd.Series([], dtype="int64"),
        "tag": pd.Series([], dtype=object), "timestamp": pd.Series([], dtype="int64"),
        "_line": pd.Series([], dtype="int64"),
    })
    tags.attrs["label"] = "tags"
    return tags


def _tags_frame(rows: list[tuple[int, int, str, int, int]], label: str) -> pd.DataFrame:
    tags = pd.DataFrame(rows, columns=["userId", "movieId", "tag", "timestamp", "_line"])
    tags = tags.astype({"userId": "int64", "movieId": "int64", "timestamp": "int64", "_line": "int64"})
    tags["tag"] = tags["tag"].astype(object)
    tags.attrs["label"] = label
    _check_timestamps(tags)
    empty = tags["tag"].str.strip() == ""
    if empty.any():
        raise _fail(label, int(tags.loc[empty, "_line"].iloc[0]), "empty tag")
    # One TAGGED per (user, movie, tag): a repeated tag keeps its latest timestamp.
    tags = tags.sort_values(["userId", "movieId", "tag", "timestamp"], kind="stable")
    before = len(tags)
    tags = tags.drop_duplicates(["userId", "movieId", "tag"], keep="last").sort_values("_line", kind="stable")
    if len(tags) != before:
        logger.info("%s: %d repeated (user, movie, tag) rows kept once", label, before - len(tags))
    tags = tags.reset_index(drop=True)
    tags.attrs["label"] = label
    return tags


def _assemble(
    dataset: str, source: _Source, movies: pd.DataFrame, ratings: pd.DataFrame, tags: pd.DataFrame,
    users: pd.DataFrame | None,
) -> Release:
    has_demographics = users is not None
    if users is None:
        ids = np.union1d(ratings["userId"].to_numpy(), tags["userId"].to_numpy().astype("int64"))
        users = pd.DataFrame({"userId": ids.astype("int64")})
        for column in ("gender", "age", "occupation", "zip"):
            users[column] = None
    genres = sorted({g for gs in movies["genres"] for g in gs})
    return Release(
        dataset=dataset, source=str(source.path), movies=movies, users=users, ratings=ratings, tags=tags,
        has_demographics=has_demographics, genres=genres,
    )


def _validate_references(release: Release) -> None:
    movie_ids = release.movies["movieId"].to_numpy()
    for frame in (release.ratings, release.tags):
        if len(frame) == 0:
            continue
        unknown = np.flatnonzero(~np.isin(frame["movieId"].to_numpy(), movie_ids))
        if len(unknown):
            position = int(unknown[0])
            raise _fail(
                frame.attrs["label"], _line_of(frame, position),
                f"movieId {frame['movieId'].iloc[position]} is not in {release.movies.attrs['label']}",
            )
    if release.has_demographics:
        user_ids = release.users["userId"].to_numpy()
        for frame in (release.ratings, release.tags):
            if len(frame) == 0:
                continue
            unknown = np.flatnonzero(~np.isin(frame["userId"].to_numpy(), user_ids))
            if len(unknown):
                position = int(unknown[0])
                raise _fail(
                    frame.attrs["label"], _line_of(frame, position),
                    f"userId {frame['userId'].iloc[position]} is not in {release.users.attrs['label']}",
                )
