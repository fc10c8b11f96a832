"""Writing a validated MovieLens release into Neo4j, fast, idempotently and safely.

The whole release is read and validated first (:func:`movierec.ingest.movielens.read_release`);
only then is anything written: constraints (so every ``MERGE`` is an index lookup),
then genres, movies (with their genre links), users, ratings and tags, each phase in
batches of ``UNWIND $rows`` through managed transactions; last, the indexes that find rating
changes (:func:`create_change_indexes`), left for Neo4j to fill in the background.

Every write is a ``MERGE`` on a constrained key (relationships on their end nodes, and
the tag text for ``TAGGED``) followed by ``SET`` (ratings of a user who has none yet are plain
``CREATE``s: nothing to match). Each transaction write-locks a user before it looks at the user's
ratings or tags, so that a concurrent writer of the same user (a second ingest, ``movierec rate``)
waits and then sees them; and ``User.ratingsChangedAt`` (epoch milliseconds) marks every user whose
ratings were created or changed. So:

- the same ingest twice leaves the same graph;
- a newer release on top adds what is new and replaces changed values (a re-rate
  replaces the rating and its timestamp);
- a load killed mid-way (the CLI or the server) loses at most its uncommitted batches,
  and rerunning the same command completes it with exact counts;
- two ingests at once into one database write each rating and tag once.

Movies, users, ratings and tags are written by ``workers`` transactions at once (one writer
leaves a core of the server idle). Their batches are independent: a validated release holds each
(user, movie) rating and each (user, movie, tag) once, so no two batches write the same
relationship, and each batch commits whole or not at all.

Example:
    >>> with connect(Neo4jSettings.resolve()) as graph:
    ...     summary = ingest_release(graph, Path("ml-latest-small"))
    >>> summary.relationships["RATED"]
    100836
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from neo4j.exceptions import DriverError, Neo4jError

from movierec import cypher
from movierec.core import schema
from movierec.core.db import Graph, count_by_label, count_by_type
from movierec.core.errors import IngestError, Neo4jUnavailable
from movierec.core.progress import Bar, ProgressFactory
from movierec.cypher.admin import await_indexes, create_writeback_indexes
from movierec.ingest.movielens import Release, read_release

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 10_000
DEFAULT_WORKERS = 3
"""Transactions in flight at once in every phase but genres: one writer leaves the server's second
core idle. Measured on a fresh 1M-rating load (BENCHMARKS.md): ratings 15.8k/s with 1 writer, 27.5k/s
with 3; 4 writers or 20,000-row batches were no faster. Batches never share a relationship;
ratings and tags lock their users in userId order, then create relationships in movieId order, so that
concurrent batches do not deadlock on the shared Movie nodes (they did, often, in file order); a rare
deadlock left (e.g. on Genre nodes) is retried by the driver's managed transactions."""
PARALLEL_PHASES = frozenset({"movies", "users", "ratings", "tags"})
PHASES = ("genres", "movies", "users", "ratings", "tags")


@dataclass(frozen=True)
class IngestSummary:
    """What an ingest did, and what the database holds afterwards.

    Args:
        dataset (str): The dataset name, e.g. ``"ml-latest-small"``.
        source (str): The directory or zip read.
        rows (dict[str, int]): Rows read per table (``movies``, ``users``, ``genres``, ``ratings``, ``tags``).
        nodes (dict[str, int]): Nodes per label in the database after the load.
        relationships (dict[str, int]): Relationships per type in the database after the load.
        seconds (float): Wall-clock seconds, reading and validating included.
        phase_seconds (dict[str, float]): Seconds per phase (``read``, ``constraints``, then each write phase).
    """

    dataset: str
    source: str
    rows: dict[str, int]
    nodes: dict[str, int]
    relationships: dict[str, int]
    seconds: float
    phase_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def ratings_per_second(self) -> float:
        """Ratings written per second of the ``ratings`` phase."""
        seconds = self.phase_seconds.get("ratings", 0.0)
        return self.rows.get("ratings", 0) / seconds if seconds > 0 else 0.0


def ingest_release(
    graph: Graph,
    path: Path,
    *,
    dataset: str | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: ProgressFactory | None = None,
    workers: int = DEFAULT_WORKERS,
) -> IngestSummary:
    """Read, validate and load a MovieLens release into Neo4j: :func:`read_release`, then :func:`load_release`.

    Args:
        graph (Graph): The database to write to.
        path (Path): A release directory or ``.zip``.
        dataset (str, optional): The format, one of :data:`movierec.ingest.movielens.DATASETS`. (default: detected)
        batch_size, progress, workers: As for :func:`load_release`.

    Returns:
        IngestSummary: Counts and timings (``seconds`` includes reading).

    Raises:
        IngestError: The input is bad (nothing is written then); ``batch_size`` or ``workers`` is below 1;
            the server refused to create the constraints or to await their indexes; or a write phase
            failed, on a server error or a lost connection (rerun the same command to complete the load).
        Neo4jUnavailable: The server cannot be reached while the constraints are created (nothing is
            written then) or while the nodes and relationships are counted after the writes.
        Neo4jAuthError: The server rejects the user (at any step).
        DatabaseNotFound: The server has no such database (at any step).
        neo4j.exceptions.Neo4jError: Another server error while counting after the writes (the writes
            are done then).
        neo4j.exceptions.DriverError: Another driver error while the constraints are created or while
            counting after the writes.
    """
    start = time.perf_counter()
    release = read_release(Path(path), dataset)
    read_seconds = time.perf_counter() - start
    logger.info("read and validated %s in %.1f s: %s", path, read_seconds, release.counts())
    summary = load_release(graph, release, batch_size=batch_size, progress=progress, workers=workers)
    return IngestSummary(
        dataset=summary.dataset, source=summary.source, rows=summary.rows, nodes=summary.nodes,
        relationships=summary.relationships, seconds=time.perf_counter() - start,
        phase_seconds={"read": read_seconds, **summary.phase_seconds},
    )


def create_constraints(graph: Graph) -> None:
    """Create the uniqueness constraints (idempotent) and wait until their indexes are online.

    Raises:
        IngestError: The server refused a statement.
    """
    try:
        for statement in cypher.statements("create_constraints"):
            graph.write(statement)
        await_indexes(graph)
    except Neo4jError as e:
        raise IngestError(f"cannot create the uniqueness constraints: {e.message}") from e


def create_change_indexes(graph: Graph) -> None:
    """Create the indexes that find what changed since a run's export (``cypher/create_writeback_indexes.cypher``:
    rating timestamps, ``User.ratingsChangedAt``, run ids), without waiting for Neo4j to fill them.

    Created after the ratings, so a first load does not maintain them rating by rating; Neo4j fills them in the
    background while the next step (export, training) runs. A writeback waits for them before it reads the
    graph: filling the rating-timestamp index of a 25M graph inside the writeback took cores from its scoring.

    Raises:
        IngestError: The server refused a statement.
    """
    try:
        create_writeback_indexes(graph)
    except Neo4jError as e:
        raise IngestError(f"every row is written, but the indexes on rating changes could not be created: {e.message} "
                          "(rerun the same command to create them)") from e


def load_release(
    graph: Graph,
    release: Release,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    workers: int = DEFAULT_WORKERS,
    progress: ProgressFactory | None = None,
) -> IngestSummary:
    """Write an already validated release into Neo4j (see the module docstring).

    Args:
        graph (Graph): The database to write to.
        release (Release): What :func:`movierec.ingest.movielens.read_release` returned.
        batch_size (int): Rows per transaction. (default: ``10000``)
        workers (int): Write transactions in flight at once (see :data:`DEFAULT_WORKERS`). (default: ``3``)
        progress (ProgressFactory, optional): Makes a progress bar per phase. (default: none)

    Returns:
        IngestSummary: Counts and timings (``seconds`` excludes reading).

    Raises:
        IngestError: A write failed.
    """
    if batch_size < 1:
        raise IngestError(f"batch size must be at least 1, got {batch_size}")
    if workers < 1:
        raise IngestError(f"workers must be at least 1, got {workers}")
    start = time.perf_counter()
    phase_seconds: dict[str, float] = {}

    t0 = time.perf_counter()
    create_constraints(graph)
    phase_seconds["constraints"] = time.perf_counter() - t0

    phases: list[tuple[str, str, int, Callable[[], Iterator[Any]]]] = [
        ("genres", "merge_genres", len(release.genres), lambda: ({"name": g} for g in release.genres)),
        ("movies", "merge_movies", len(release.movies), lambda: _movie_rows(release.movies)),
        ("users", "merge_users", len(release.users), lambda: _user_rows(release.users)),
        ("ratings", "merge_ratings", len(release.ratings), lambda: _rating_groups(release.ratings, batch_size)),
        ("tags", "merge_tags", len(release.tags), lambda: _rows(
            release.tags, {"userId": "userId", "movieId": "movieId", "tag": "tag", "ts": "timestamp"})),
    ]
    for phase, query_name, total, rows in phases:
        if total == 0:
            continue
        t0 = time.perf_counter()
        bar = progress(phase, total) if progress is not None else None
        phase_workers = workers if phase in PARALLEL_PHASES else 1
        try:
            if phase == "ratings":
                # Rows are per-user groups of ratings; each batch holds ``batch_size`` ratings.
                written = graph.write_many(
                    cypher.load(query_name), rows(), on_batch=_updater(bar), workers=phase_workers,
                    size=lambda batch: sum(len(row["movieIds"]) for row in batch),
                )
            else:
                written = graph.write_batches(
                    cypher.load(query_name), rows(), batch_size=batch_size, on_batch=_updater(bar),
                    workers=phase_workers,
                )
        except Neo4jError as e:
            raise IngestError(f"writing {phase} failed: {e.message} (rerun the same command to complete the load)") \
                from e
        except (Neo4jUnavailable, DriverError) as e:
            raise IngestError(f"writing {phase} failed: {e} (rerun the same command to complete the load)") from e
        finally:
            if bar is not None:
                bar.close()
        phase_seconds[phase] = time.perf_counter() - t0
        logger.info("%s: %d rows in %.1f s (%.0f rows/s)", phase, written, phase_seconds[phase],
                    written / max(phase_seconds[phase], 1e-9))

    t0 = time.perf_counter()
    create_change_indexes(graph)
    phase_seconds["indexes"] = time.perf_counter() - t0

    nodes = count_by_label(graph, [schema.USER, schema.MOVIE, schema.GENRE])
    relationships = count_by_type(graph, [schema.RATED, schema.TAGGED, schema.IN_GENRE])
    return IngestSummary(
        dataset=release.dataset, source=release.source, rows=release.counts(), nodes=nodes,
        relationships=relationships, seconds=time.perf_counter() - start, phase_seconds=phase_seconds,
    )


def _rating_groups(ratings: pd.DataFrame, batch_size: int) -> Iterator[list[dict[str, Any]]]:
    """Batches of about ``batch_size`` ratings, as one row per user: ``{userId, movieIds, ratings, ts}``.

    Ratings are grouped by user (stable, so a user's ratings keep their file order). A batch
    holds whole users, so that concurrent batches never share a user (and never wait on each
    other's user locks); only a user with more than ``batch_size`` ratings is split, over
    consecutive batches of their own.
    """
    order = np.argsort(ratings["userId"].to_numpy(), kind="stable")
    users = ratings["userId"].to_numpy()[order]
    movies = ratings["movieId"].to_numpy()[order]
    values = ratings["rating"].to_numpy()[order]
    stamps = ratings["timestamp"].to_numpy()[order]
    starts = np.concatenate([[0], np.flatnonzero(np.diff(users)) + 1]).tolist() if len(users) else []
    bounds = list(itertools.pairwise([*starts, len(users)]))

    def group(a: int, b: int) -> dict[str, Any]:
        return {"userId": int(users[a]), "movieIds": movies[a:b].tolist(), "ratings": values[a:b].tolist(),
                "ts": stamps[a:b].tolist()}

    batch: list[dict[str, Any]] = []
    held = 0
    for a, b in bounds:
        if held and held + (b - a) > batch_size:
            yield batch
            batch, held = [], 0
        if b - a > batch_size:  # a very active user: alone, in several batches
            for c in range(a, b, batch_size):
                yield [group(c, min(c + batch_size, b))]
            continue
        batch.append(group(a, b))
        held += b - a
    if batch:
        yield batch


def _updater(bar: Bar | None) -> Callable[[int], None] | None:
    if bar is None:
        return None

    def update(n: int) -> None:
        bar.update(n)

    return update


def _rows(frame: pd.DataFrame, columns: Mapping[str, str], chunk: int = 100_000) -> Iterator[dict[str, Any]]:
    """The frame's rows as dicts of plain Python values (``{param key: frame column}``), chunk by chunk."""
    keys = list(columns)
    for begin in range(0, len(frame), chunk):
        part = frame.iloc[begin : begin + chunk]
        values = [_plain(part[column]) for column in columns.values()]
        for row in zip(*values, strict=True):
            yield dict(zip(keys, row, strict=True))


def _plain(series: pd.Series) -> Sequence[Any]:
    """Column values as Python objects, with pandas' missing values as ``None``."""
    if series.dtype == object or isinstance(series.dtype, pd.api.extensions.ExtensionDtype):
        return [None if _missing(v) else v for v in series.tolist()]
    return series.tolist()


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


def _movie_rows(movies: pd.DataFrame) -> Iterator[dict[str, Any]]:
    return _rows(movies, {c: c for c in ("movieId", "title", "year", "genres", "imdbId", "tmdbId", "releaseDate")})


def _user_rows(users: pd.DataFrame) -> Iterator[dict[str, Any]]:
    return _rows(users, {c: c for c in ("userId", "gender", "age", "occupation", "zip")})
