"""Whole releases: detect the format of a directory or ``.zip``, read it with its reader, check it.

:func:`read_release` is the ingest stage's entry point: it returns a :class:`Release` only once
every file has been read and checked, references between files included.
"""

from __future__ import annotations

import logging
from pathlib import Path

from movierec.core.errors import IngestError
from movierec.ingest.movielens.checks import Release, _validate_references
from movierec.ingest.movielens.csv_release import _read_csv_release
from movierec.ingest.movielens.dat_release import _read_dat
from movierec.ingest.movielens.ml100k import _read_100k
from movierec.ingest.movielens.source import _Source

logger = logging.getLogger(__name__)

CSV_DATASETS = ("ml-20m", "ml-25m", "ml-32m", "ml-latest", "ml-latest-small")
DATASETS = ("ml-100k", "ml-1m", "ml-10m", *CSV_DATASETS)

# GroupLens folder names inside the archives that differ from the dataset name.
_FOLDER_ALIASES = {"ml-10m100k": "ml-10m"}


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
