"""MovieLens releases: detect the format, read every file, validate it all, normalise it.

Nothing here talks to Neo4j. :func:`read_release` reads a release from a directory or
a ``.zip`` as GroupLens ships it, checks the whole input (files, columns, numbers,
ranges, encodings, references between files) and returns a :class:`Release` of
pandas frames in one normalised shape, whatever the format:

- ``movies``: ``movieId`` (int64), ``title`` (str, no trailing "(year)"), ``year``
  (Int64, null where absent), ``genres`` (list of str; "(no genres listed)" and
  "unknown" dropped), ``imdbId`` / ``tmdbId`` (Int64, null where absent),
  ``releaseDate`` (ISO date str or None);
- ``users``: ``userId`` (int64) plus ``gender``, ``age``, ``occupation``, ``zip``
  (None where the release has no demographics);
- ``ratings``: ``userId``, ``movieId`` (int64), ``rating`` (float64), ``timestamp``
  (int64, seconds since the epoch);
- ``tags``: ``userId``, ``movieId``, ``tag`` (str), ``timestamp``.

Formats (``dataset`` names):

- ``ml-100k``: ``u.data`` (tab-separated), ``u.item`` (pipe-separated, latin-1, 19
  genre flags, dates like ``01-Jan-1995``), ``u.user``;
- ``ml-1m``: ``ratings.dat``, ``movies.dat`` (latin-1), ``users.dat``, ``::``-separated;
- ``ml-10m``: ``ratings.dat``, ``movies.dat``, ``tags.dat``, ``::``-separated, no users file;
- ``ml-20m``, ``ml-25m``, ``ml-32m``, ``ml-latest``, ``ml-latest-small``: CSV with a
  header, UTF-8, quoted titles: ``ratings.csv``, ``movies.csv``, optional ``tags.csv``
  and ``links.csv``.

Example:
    >>> release = read_release(Path("ml-latest-small"))
    >>> release.dataset, len(release.ratings)
    ('ml-latest-small', 100836)
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO

import numpy as np
import pandas as pd

from movierec.core.errors import IngestError

logger = logging.getLogger(__name__)

CSV_DATASETS = ("ml-20m", "ml-25m", "ml-32m", "ml-latest", "ml-latest-small")
DATASETS = ("ml-100k", "ml-1m", "ml-10m", *CSV_DATASETS)
NO_GENRE = frozenset({"(no genres listed)", "unknown"})
MIN_RATING = 0.5
MAX_RATING = 5.0

# What a truncated or corrupt archive (or an unreadable file) raises while reading.
_READ_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, zlib.error)

# GroupLens folder names inside the archives that differ from the dataset name.
_FOLDER_ALIASES = {"ml-10m100k": "ml-10m"}

# ml-100k's u.genre, in flag order (used when the release has no u.genre file).
ML100K_GENRES = (
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama",
    "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
)

# ml-1m's users.dat codes occupations as 0-20 (its README); stored as the names, like ml-100k's.
ML1M_OCCUPATIONS = (
    "other", "academic/educator", "artist", "clerical/admin", "college/grad student", "customer service",
    "doctor/health care", "executive/managerial", "farmer", "homemaker", "K-12 student", "lawyer", "programmer",
    "retired", "sales/marketing", "scientist", "self-employed", "technician/engineer", "tradesman/craftsman",
    "unemployed", "writer",
)

# A trailing "(1995)", "(2006–2007)" or "(2007- )", with any spaces around it.
# "Title (1995)" or "Title (2006–2007)": the title and its (first) year; shared with bench/admin_import.py
TITLE_YEAR = re.compile(r"^(?P<title>.*?)\s*\((?P<year>\d{4})(?:\s*[-–]\s*(?:\d{4})?\s*)?\)\s*$")


@dataclass
class Release:
    """One MovieLens release, read, validated and normalised (see the module docstring).

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


# ---------------------------------------------------------------------------------------------
# Where the files come from: a directory or a zip


class _Source:
    """The files of a release, by base name, in a directory or a zip (with or without a top folder)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._zip: zipfile.ZipFile | None = None
        self._members: dict[str, str] = {}
        if not path.exists():
            raise IngestError(f"{path}: no such file or directory")
        if path.is_dir():
            self._members = {p.name: p.name for p in sorted(path.iterdir()) if p.is_file()}
            self.folder_name = path.name
        elif zipfile.is_zipfile(path):
            try:
                self._zip = zipfile.ZipFile(path)
                names = self._zip.namelist()
            except _READ_ERRORS as e:
                raise IngestError(f"{path}: not a readable zip archive (truncated or corrupt?): {e}") from e
            # Shallowest member per base name wins (GroupLens zips hold one top folder).
            for name in sorted(names, key=lambda n: (n.count("/"), n)):
                if name.endswith("/"):
                    continue
                base = PurePosixPath(name).name
                self._members.setdefault(base, name)
            tops = {PurePosixPath(n).parts[0] for n in names if "/" in n}
            self.folder_name = tops.pop() if len(tops) == 1 else path.stem
        else:
            if path.suffix.lower() == ".zip":
                raise IngestError(f"{path}: not a readable zip archive (truncated or corrupt?)")
            raise IngestError(f"{path}: not a directory or a .zip archive of a MovieLens release")

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()

    def has(self, name: str) -> bool:
        return name in self._members

    def label(self, name: str) -> str:
        """How error messages name a file: ``ratings.csv``, or ``x.zip:ml-1m/ratings.dat``."""
        if self._zip is not None:
            return f"{self.path.name}:{self._members.get(name, name)}"
        return name

    def require(self, names: Sequence[str], dataset: str) -> None:
        missing = [n for n in names if not self.has(n)]
        if missing:
            raise IngestError(
                f"{self.path}: missing {', '.join(missing)} (needed by the {dataset} format; found: "
                f"{', '.join(sorted(self._members)) or 'no files'})"
            )

    def read_bytes(self, name: str) -> bytes:
        try:
            if self._zip is not None:
                return self._zip.read(self._members[name])
            return (self.path / self._members[name]).read_bytes()
        except _READ_ERRORS as e:
            raise IngestError(f"{self.label(name)}: cannot be read (truncated or corrupt archive?): {e}") from e

    def open_binary(self, name: str) -> IO[bytes]:
        try:
            if self._zip is not None:
                return self._zip.open(self._members[name])
            return open(self.path / self._members[name], "rb")  # noqa: SIM115 - returned to the caller
        except _READ_ERRORS as e:
            raise IngestError(f"{self.label(name)}: cannot be read (truncated or corrupt archive?): {e}") from e


# ---------------------------------------------------------------------------------------------
# Format detection


def detect_dataset(path: Path) -> str:
    """Guess the dataset name of the release at ``path`` from its files (and folder name).

    Args:
        path (Path): A release directory or ``.zip``.

    Returns:
        str: One of :data:`DATASETS`.

    Raises:
        IngestError: If the files match no known format.
    """
    source = _Source(path)
    try:
        return _detect(source)
    finally:
        source.close()


def _folder_dataset(folder: str) -> str | None:
    name = folder.lower().removesuffix(".zip")
    name = _FOLDER_ALIASES.get(name, name)
    return name if name in DATASETS else None


def _detect(source: _Source) -> str:
    named = _folder_dataset(source.folder_name) or _folder_dataset(source.path.stem)
    if source.has("u.data") or source.has("u.item"):
        fmt_names: tuple[str, ...] = ("ml-100k",)
    elif source.has("ratings.dat") or source.has("movies.dat"):
        fmt_names = ("ml-1m",) if source.has("users.dat") else ("ml-10m",)
    elif source.has("ratings.csv") or source.has("movies.csv"):
        fmt_names = CSV_DATASETS
    else:
        raise IngestError(
            f"{source.path}: not a MovieLens release: no ratings.csv, ratings.dat or u.data found "
            f"(pass --dataset to name the format)"
        )
    if named in fmt_names:
        return named
    return "ml-latest" if fmt_names == CSV_DATASETS else fmt_names[0]


# ---------------------------------------------------------------------------------------------
# Reading and validating


def read_release(path: Path, dataset: str | None = None) -> Release:
    """Read, validate and normalise a whole MovieLens release.

    Every file is checked before anything is returned, so a caller that writes only
    after this returns leaves the database unchanged on bad input.

    Args:
        path (Path): A release directory or a ``.zip`` as GroupLens ships it.
        dataset (str, optional): One of :data:`DATASETS`. (default: detected from the files)

    Returns:
        Release: The normalised release.

    Raises:
        IngestError: A file is missing, unreadable, badly encoded or has a bad line
            (the message names the file and the line).
    """
    if dataset is not None and dataset not in DATASETS:
        raise IngestError(f"unknown dataset {dataset!r} (known: {', '.join(DATASETS)})")
    source = _Source(Path(path))
    try:
        dataset = dataset or _detect(source)
        logger.info("reading %s as %s", path, dataset)
        if dataset == "ml-100k":
            release = _read_100k(source)
        elif dataset in ("ml-1m", "ml-10m"):
            release = _read_dat(source, dataset)
        else:
            release = _read_csv_release(source, dataset)
    finally:
        source.close()
    _validate_references(release)
    return release


def _fail(label: str, line: int | None, message: str) -> IngestError:
    where = f"{label} line {line}" if line is not None else label
    return IngestError(f"{where}: {message}")


def _decode(source: _Source, name: str, encoding: str) -> str:
    """Decode a whole text file strictly; a bad byte is reported with its line."""
    data = source.read_bytes(name)
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise _fail(source.label(name), line, f"not valid {encoding.upper()} (byte {data[e.start]:#04x})") from e


def _decode_any(source: _Source, name: str) -> str:
    """UTF-8 when the file is UTF-8, else latin-1 (ml-1m/ml-10m ``.dat`` files)."""
    data = source.read_bytes(name)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _lines(text: str) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            yield number, line


def _int(label: str, line: int, column: str, text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise _fail(label, line, f"{column} {text!r} is not an integer") from None


def _float(label: str, line: int, column: str, text: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        raise _fail(label, line, f"{column} {text!r} is not a number") from None
    if not np.isfinite(value):
        raise _fail(label, line, f"{column} {text!r} is not a finite number")
    return value


# Numeric tables (ratings): a fast pandas read, and a line-by-line pass that finds the bad line.

_Splitter = Callable[[str], list[str]]


def _read_numeric(
    source: _Source,
    name: str,
    columns: Sequence[tuple[str, str]],
    *,
    header: Sequence[str] | None,
    sep: str,
) -> pd.DataFrame:
    """Read a table of numbers (``columns`` = (name, "int"|"float")) with pandas' C parser.

    ``sep`` may be ``"::"``: it is read as ``:`` with empty columns between. On any
    problem the file is re-read line by line to report the first bad line.
    """
    label = source.label(name)
    skip = 0
    if header is not None:
        try:
            with source.open_binary(name) as f:
                first = f.readline().decode("utf-8", errors="replace").strip().lstrip("\ufeff")
        except _READ_ERRORS as e:
            raise _fail(label, None, f"cannot be read (truncated or corrupt archive?): {e}") from e
        found = [c.strip() for c in next(csv.reader([first]))] if first else []
        if found != list(header):
            raise _fail(label, 1, f"header is {first!r}, expected {','.join(header)!r}")
        skip = 1
    names = [c for c, _ in columns]
    dtypes = {c: ("int64" if kind == "int" else "float64") for c, kind in columns}
    try:
        with source.open_binary(name) as f:
            if sep == "::":
                raw = pd.read_csv(f, sep=":", header=None, skiprows=skip, dtype=str, engine="c",
                                  na_filter=False)
                if raw.shape[1] != 2 * len(columns) - 1 or (raw.iloc[:, 1::2] != "").to_numpy().any():
                    raise ValueError("bad layout")
                frame = raw.iloc[:, 0::2]
                frame.columns = pd.Index(names)
                frame = frame.astype(dtypes)
            else:
                frame = pd.read_csv(f, sep=sep, header=None, skiprows=skip, names=names, dtype=dtypes,
                                    engine="c", na_filter=True)
        if frame.isna().to_numpy().any():
            raise ValueError("missing values")
    except IngestError:
        raise
    except (ValueError, TypeError, pd.errors.ParserError, pd.errors.EmptyDataError, OverflowError) as e:
        logger.debug("fast read of %s failed (%s); locating the bad line", label, e)
        _locate_bad_numeric_line(source, name, columns, skip=skip, sep=sep)
        raise _fail(label, None, f"cannot be parsed: {e}") from e
    except _READ_ERRORS as e:
        raise _fail(label, None, f"cannot be read (truncated or corrupt archive?): {e}") from e
    frame.index = pd.RangeIndex(len(frame))
    frame.attrs["first_line"] = skip + 1
    frame.attrs["label"] = label
    return frame


def _locate_bad_numeric_line(
    source: _Source, name: str, columns: Sequence[tuple[str, str]], *, skip: int, sep: str
) -> None:
    label = source.label(name)
    text = _decode(source, name, "utf-8")
    reader: Iterator[list[str]]
    if sep == ",":
        reader = csv.reader(io.StringIO(text, newline=""))
    else:
        reader = (line.split(sep) for line in text.splitlines())
    for number, fields in enumerate(reader, start=1):
        if number <= skip or not fields or fields == [""]:
            continue
        if len(fields) != len(columns):
            raise _fail(label, number, f"expected {len(columns)} fields, found {len(fields)}")
        for (column, kind), value in zip(columns, fields, strict=True):
            if kind == "int":
                _int(label, number, column, value)
            else:
                _float(label, number, column, value)


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


def _split_title(title: str) -> tuple[str, int | None]:
    title = title.strip()
    match = TITLE_YEAR.match(title)
    if match is None or not match.group("title").strip():
        return title, None
    return match.group("title").strip(), int(match.group("year"))


def _genre_list(text: str) -> list[str]:
    return [g for g in (part.strip() for part in text.split("|")) if g and g not in NO_GENRE]


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


def _positive_id(label: str, line: int, column: str, text: str) -> int:
    value = _int(label, line, column, text)
    if value < 1:
        raise _fail(label, line, f"{column} {value} is not positive")
    return value


# --- CSV releases (ml-20m, ml-25m, ml-32m, ml-latest, ml-latest-small) -----------------------

_RATINGS_CSV = (("userId", "int"), ("movieId", "int"), ("rating", "float"), ("timestamp", "int"))


def _csv_rows(source: _Source, name: str, header: Sequence[str]) -> Iterator[tuple[int, list[str]]]:
    """The rows of a UTF-8 CSV file after its header is checked, with their line numbers."""
    label = source.label(name)
    text = _decode(source, name, "utf-8").lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        found = next(reader, [])
        if [c.strip() for c in found] != list(header):
            raise _fail(label, 1, f"header is {','.join(found)!r}, expected {','.join(header)!r}")
        line = reader.line_num + 1
        for fields in reader:
            if fields:
                if len(fields) != len(header):
                    raise _fail(label, line, f"expected {len(header)} fields, found {len(fields)}")
                yield line, fields
            line = reader.line_num + 1
    except csv.Error as e:
        raise _fail(label, reader.line_num, f"bad CSV: {e}") from e


def _read_csv_release(source: _Source, dataset: str) -> Release:
    source.require(["movies.csv", "ratings.csv"], dataset)
    label = source.label("movies.csv")
    rows: list[dict[str, object]] = []
    for line, (movie_id, title, genres) in _csv_rows(source, "movies.csv", ("movieId", "title", "genres")):
        name, year = _split_title(title)
        rows.append({
            "movieId": _positive_id(label, line, "movieId", movie_id), "title": name, "year": year,
            "genres": _genre_list(genres), "imdbId": None, "tmdbId": None, "releaseDate": None, "_line": line,
        })
    movies = _movies_frame(rows, label)

    if source.has("links.csv"):
        links_label = source.label("links.csv")
        link_rows = []
        for line, (movie_id, imdb, tmdb) in _csv_rows(source, "links.csv", ("movieId", "imdbId", "tmdbId")):
            link_rows.append((
                _positive_id(links_label, line, "movieId", movie_id),
                _int(links_label, line, "imdbId", imdb) if imdb.strip() else None,
                _int(links_label, line, "tmdbId", tmdb) if tmdb.strip() else None,
                line,
            ))
        links = pd.DataFrame(link_rows, columns=["movieId", "imdbId", "tmdbId", "_line"])
        unknown = ~links["movieId"].isin(movies["movieId"])
        if unknown.any():
            row = links[unknown].iloc[0]
            raise _fail(links_label, int(row["_line"]), f"movieId {row['movieId']} is not in movies.csv")
        links = links.drop_duplicates("movieId", keep="last").set_index("movieId")
        movies["imdbId"] = movies["movieId"].map(links["imdbId"]).astype("Int64")
        movies["tmdbId"] = movies["movieId"].map(links["tmdbId"]).astype("Int64")

    ratings = _check_ratings(_read_numeric(source, "ratings.csv", _RATINGS_CSV, header=[c for c, _ in _RATINGS_CSV],
                                           sep=","))

    tags = _empty_tags()
    if source.has("tags.csv"):
        tags_label = source.label("tags.csv")
        tag_rows = [
            (
                _positive_id(tags_label, line, "userId", user),
                _positive_id(tags_label, line, "movieId", movie),
                tag,
                _int(tags_label, line, "timestamp", ts),
                line,
            )
            for line, (user, movie, tag, ts) in _csv_rows(
                source, "tags.csv", ("userId", "movieId", "tag", "timestamp")
            )
        ]
        tags = _tags_frame(tag_rows, tags_label)
    return _assemble(dataset, source, movies, ratings, tags, users=None)


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


# --- ml-1m / ml-10m (``::``-separated .dat) ---------------------------------------------------

_RATINGS_DAT = _RATINGS_CSV


def _read_dat(source: _Source, dataset: str) -> Release:
    required = ["movies.dat", "ratings.dat"] + (["users.dat"] if dataset == "ml-1m" else [])
    source.require(required, dataset)
    label = source.label("movies.dat")
    rows: list[dict[str, object]] = []
    for line, text in _lines(_decode_any(source, "movies.dat")):
        parts = text.split("::")
        if len(parts) < 3:
            raise _fail(label, line, f"expected 3 '::'-separated fields (MovieID::Title::Genres), found {len(parts)}")
        title, year = _split_title("::".join(parts[1:-1]))
        rows.append({
            "movieId": _positive_id(label, line, "movieId", parts[0]), "title": title, "year": year,
            "genres": _genre_list(parts[-1]), "imdbId": None, "tmdbId": None, "releaseDate": None, "_line": line,
        })
    movies = _movies_frame(rows, label)
    ratings = _check_ratings(_read_numeric(source, "ratings.dat", _RATINGS_DAT, header=None, sep="::"))

    users = None
    if source.has("users.dat"):
        users_label = source.label("users.dat")
        user_rows = []
        for line, text in _lines(_decode_any(source, "users.dat")):
            parts = text.split("::")
            if len(parts) != 5:
                raise _fail(users_label, line,
                            f"expected 5 '::'-separated fields (UserID::Gender::Age::Occupation::Zip), found "
                            f"{len(parts)}")
            occupation = _int(users_label, line, "occupation", parts[3])
            if not 0 <= occupation < len(ML1M_OCCUPATIONS):
                raise _fail(users_label, line, f"occupation {occupation} is not a code from 0 to 20")
            user_rows.append((
                _positive_id(users_label, line, "userId", parts[0]), parts[1].strip(),
                _int(users_label, line, "age", parts[2]), ML1M_OCCUPATIONS[occupation], parts[4].strip(), line,
            ))
        users = _users_frame(user_rows, users_label)

    tags = _empty_tags()
    if source.has("tags.dat"):
        tags_label = source.label("tags.dat")
        tag_rows = []
        for line, text in _lines(_decode_any(source, "tags.dat")):
            head = text.split("::", 2)
            if len(head) < 3 or "::" not in head[2]:
                raise _fail(tags_label, line, "expected 4 '::'-separated fields (UserID::MovieID::Tag::Timestamp)")
            tag, ts = head[2].rsplit("::", 1)
            tag_rows.append((
                _positive_id(tags_label, line, "userId", head[0]), _positive_id(tags_label, line, "movieId", head[1]),
                tag, _int(tags_label, line, "timestamp", ts), line,
            ))
        tags = _tags_frame(tag_rows, tags_label)
    return _assemble(dataset, source, movies, ratings, tags, users=users)


def _users_frame(rows: list[tuple[int, str, int, str, str, int]], label: str) -> pd.DataFrame:
    users = pd.DataFrame(rows, columns=["userId", "gender", "age", "occupation", "zip", "_line"])
    users.attrs["label"] = label
    dup = users["userId"].duplicated()
    if dup.any():
        position = int(np.flatnonzero(dup.to_numpy())[0])
        raise _fail(label, _line_of(users, position), f"userId {users['userId'].iloc[position]} appears twice")
    return users


# --- ml-100k ----------------------------------------------------------------------------------


def _read_100k(source: _Source) -> Release:
    source.require(["u.data", "u.item", "u.user"], "ml-100k")
    genres = list(ML100K_GENRES)
    if source.has("u.genre"):
        genre_label = source.label("u.genre")
        pairs = []
        for line, text in _lines(_decode(source, "u.genre", "latin-1")):
            name, _, index = text.rpartition("|")
            pairs.append((_int(genre_label, line, "genre index", index), name))
        genres = [name for _, name in sorted(pairs)]

    label = source.label("u.item")
    rows: list[dict[str, object]] = []
    for line, text in _lines(_decode(source, "u.item", "latin-1")):
        parts = text.split("|")
        if len(parts) != 5 + len(genres):
            raise _fail(label, line, f"expected {5 + len(genres)} '|'-separated fields, found {len(parts)}")
        flags = parts[5:]
        if any(flag.strip() not in ("0", "1") for flag in flags):
            raise _fail(label, line, "genre flags must be 0 or 1")
        title, year = _split_title(parts[1])
        rows.append({
            "movieId": _positive_id(label, line, "movieId", parts[0]), "title": title, "year": year,
            "genres": [g for g, flag in zip(genres, flags, strict=True) if flag.strip() == "1" and g not in NO_GENRE],
            "imdbId": None, "tmdbId": None, "releaseDate": _release_date(label, line, parts[2]), "_line": line,
        })
    movies = _movies_frame(rows, label)

    ratings = _check_ratings(_read_numeric(source, "u.data", _RATINGS_CSV, header=None, sep="\t"))

    users_label = source.label("u.user")
    user_rows = []
    for line, text in _lines(_decode(source, "u.user", "latin-1")):
        parts = text.split("|")
        if len(parts) != 5:
            raise _fail(users_label, line,
                        f"expected 5 '|'-separated fields (id|age|gender|occupation|zip), found {len(parts)}")
        user_rows.append((
            _positive_id(users_label, line, "userId", parts[0]), parts[2].strip(),
            _int(users_label, line, "age", parts[1]), parts[3].strip(), parts[4].strip(), line,
        ))
    users = _users_frame(user_rows, users_label)
    return _assemble("ml-100k", source, movies, ratings, _empty_tags(), users=users)


def _release_date(label: str, line: int, text: str) -> str | None:
    text = text.strip()
    if not text:
        return None
    try:
        return dt.datetime.strptime(text, "%d-%b-%Y").date().isoformat()
    except ValueError:
        raise _fail(label, line, f"release date {text!r} is not like 01-Jan-1995") from None


# --- assembling and cross-file checks --------------------------------------------------------


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
