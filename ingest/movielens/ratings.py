"""Ratings tables: a fast numeric read, the search for the bad line, and a ratings file on its own.

:func:`_read_numeric` reads a table of numbers with pandas' C parser; when that fails, the file is
re-read line by line to report the first bad line. :func:`read_ratings_file` reads one ratings
file in any MovieLens layout (``u.data``/``u1.test``, ``ratings.dat``, ``ratings.csv``) with the
same checks and messages as the release readers.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterator, Sequence
from pathlib import Path

import pandas as pd

from movierec.core.errors import IngestError
from movierec.ingest.movielens.checks import _check_ratings
from movierec.ingest.movielens.fields import _fail, _float, _int
from movierec.ingest.movielens.source import _READ_ERRORS, _decode, _Source

logger = logging.getLogger(__name__)

# The ratings columns of every format, in file order: (name, "int" | "float").
_RATINGS_CSV = (("userId", "int"), ("movieId", "int"), ("rating", "float"), ("timestamp", "int"))


def read_ratings_file(path: Path) -> pd.DataFrame:
    """Read and validate one ratings file on its own, in any MovieLens layout.

    The layout comes from the first non-blank line: ``::`` in it means ``ratings.dat``
    (``UserID::MovieID::Rating::Timestamp``), a tab means ml-100k's ``u.data`` / ``u1.test``
    (``user item rating timestamp``), anything else a ``ratings.csv`` with its header
    ``userId,movieId,rating,timestamp``. Every line is checked as in :func:`read_release`
    (numbers, positive ids, half stars from 0.5 to 5, timestamps, a user rating a movie twice);
    movies and users are not checked against anything.

    Args:
        path (Path): The file.

    Returns:
        pandas.DataFrame: ``userId``, ``movieId`` (int64), ``rating`` (float64), ``timestamp``
            (int64), one row per rating, in file order.

    Raises:
        IngestError: The file does not exist, cannot be read, is empty or has a bad line (a
            :class:`~movierec.ingest.movielens.fields.LineError`: the message names the file,
            by its base name, and the line).

    Example:
        >>> read_ratings_file(Path("ml-100k/u1.test")).columns.tolist()
        ['userId', 'movieId', 'rating', 'timestamp']
    """
    path = Path(path)
    source = _Source.single_file(path)
    first = _first_line(source, path.name)
    if first is None:
        raise _fail(source.label(path.name), None, "has no ratings")
    if "::" in first:
        header, sep = None, "::"
    elif "\t" in first:
        header, sep = None, "\t"
    else:
        header, sep = [c for c, _ in _RATINGS_CSV], ","
    return _check_ratings(_read_numeric(source, path.name, _RATINGS_CSV, header=header, sep=sep))


def _first_line(source: _Source, name: str) -> str | None:
    """The first non-blank line of a file (decoded leniently, for sniffing its layout), or ``None``."""
    try:
        with source.open_binary(name) as f:
            for raw in f:
                line = raw.decode("utf-8", errors="replace").strip()
                if line:
                    return line
    except _READ_ERRORS as e:
        raise _fail(source.label(name), None, f"cannot be read: {e}") from e
    return None


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
