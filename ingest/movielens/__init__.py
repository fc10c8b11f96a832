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

:func:`read_ratings_file` reads one ratings file on its own (e.g. ml-100k's ``u1.test``)
with the same checks, into the ``ratings`` shape.

Formats (``dataset`` names):

- ``ml-100k``: ``u.data`` (tab-separated), ``u.item`` (pipe-separated, latin-1, 19
  genre flags, dates like ``01-Jan-1995``), ``u.user``;
- ``ml-1m``: ``ratings.dat``, ``movies.dat``, ``users.dat``, ``::``-separated; the text files
  are read as UTF-8 when they are valid UTF-8, else as latin-1 (GroupLens' ``movies.dat`` is latin-1);
- ``ml-10m``: ``ratings.dat``, ``movies.dat``, ``tags.dat``, ``::``-separated, no users file;
- ``ml-20m``, ``ml-25m``, ``ml-32m``, ``ml-latest``, ``ml-latest-small``: CSV with a
  header, UTF-8, quoted titles: ``ratings.csv``, ``movies.csv``, optional ``tags.csv``
  and ``links.csv``.

Modules (each imports only those above it):

- :mod:`~movierec.ingest.movielens.fields`: one field of one line: numbers, ids, titles,
  genres, and the line-numbered :class:`LineError`;
- :mod:`~movierec.ingest.movielens.source`: the files of a directory or ``.zip``, read and decoded;
- :mod:`~movierec.ingest.movielens.checks`: :class:`Release`, its tables, and the checks
  across rows and files;
- :mod:`~movierec.ingest.movielens.ratings`: ratings tables, and :func:`read_ratings_file`;
- :mod:`~movierec.ingest.movielens.csv_release`, :mod:`~movierec.ingest.movielens.dat_release`,
  :mod:`~movierec.ingest.movielens.ml100k`: one reader per format;
- :mod:`~movierec.ingest.movielens.release`: :func:`detect_dataset` and :func:`read_release`.

Example:
    >>> release = read_release(Path("ml-latest-small"))
    >>> release.dataset, len(release.ratings)
    ('ml-latest-small', 100836)
"""

from __future__ import annotations

from movierec.ingest.movielens.checks import MAX_RATING, MIN_RATING, Release
from movierec.ingest.movielens.dat_release import ML1M_OCCUPATIONS
from movierec.ingest.movielens.fields import NO_GENRE, TITLE_YEAR, LineError, _split_title
from movierec.ingest.movielens.ml100k import ML100K_GENRES
from movierec.ingest.movielens.ratings import read_ratings_file
from movierec.ingest.movielens.release import CSV_DATASETS, DATASETS, detect_dataset, read_release

__all__ = [
    "CSV_DATASETS",
    "DATASETS",
    "MAX_RATING",
    "MIN_RATING",
    "ML100K_GENRES",
    "ML1M_OCCUPATIONS",
    "NO_GENRE",
    "TITLE_YEAR",
    "LineError",
    "Release",
    "_split_title",
    "detect_dataset",
    "read_ratings_file",
    "read_release",
]
