"""Fetching official GroupLens MovieLens archives into a cache, checked against their published MD5.

GroupLens publishes each archive at ``<base>/<name>.zip`` with its checksum beside
it at ``<base>/<name>.zip.md5``. :func:`download_release` fetches both, verifies the
archive, and keeps it in ``<cache>/datasets/<name>.zip``; a cached archive whose
checksum still matches is not fetched again.

The base URL is ``https://files.grouplens.org/datasets/movielens``, overridable with
``$MOVIEREC_DOWNLOAD_URL`` (a mirror, or a local server in tests).

Example:
    >>> download_release("ml-latest-small")
    PosixPath('/home/me/.cache/movierec/datasets/ml-latest-small.zip')
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from movierec.core.errors import IngestError
from movierec.core.progress import ProgressFactory
from movierec.core.settings import cache_home
from movierec.ingest.movielens import DATASETS

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://files.grouplens.org/datasets/movielens"
BASE_URL_ENV = "MOVIEREC_DOWNLOAD_URL"
TIMEOUT_S = 60.0
_MD5 = re.compile(r"\b([0-9a-fA-F]{32})\b")


def base_url() -> str:
    """``$MOVIEREC_DOWNLOAD_URL``, else GroupLens' own address."""
    return (os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL).rstrip("/")


def default_cache_dir() -> Path:
    """``$MOVIEREC_CACHE/datasets`` (default ``~/.cache/movierec/datasets``)."""
    return cache_home() / "datasets"


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fetch(url: str) -> urllib.request.Request:
    return urllib.request.Request(url, headers={"User-Agent": "movierec"})


def published_md5(name: str, url: str | None = None) -> str:
    """The MD5 GroupLens publishes for ``<name>.zip`` (from ``<name>.zip.md5``).

    Raises:
        IngestError: The checksum file cannot be fetched or holds no MD5.
    """
    url = url or f"{base_url()}/{name}.zip.md5"
    try:
        with urllib.request.urlopen(_fetch(url), timeout=TIMEOUT_S) as response:
            text = response.read(4096).decode("ascii", errors="replace")
    except (urllib.error.URLError, OSError) as e:
        raise IngestError(f"cannot fetch the published checksum {url}: {e}") from e
    match = _MD5.search(text)
    if match is None:
        raise IngestError(f"{url} holds no MD5 checksum")
    return match.group(1).lower()


def download_release(name: str, *, cache_dir: Path | None = None, progress: ProgressFactory | None = None) -> Path:
    """Fetch GroupLens' ``<name>.zip`` into the cache and verify its published MD5.

    Args:
        name (str): A dataset name, e.g. ``"ml-latest-small"`` (one of :data:`movierec.ingest.movielens.DATASETS`).
        cache_dir (Path, optional): Where archives are kept. (default: :func:`default_cache_dir`)
        progress (ProgressFactory, optional): Makes the download's progress bar (bytes). (default: none)

    Returns:
        Path: The verified archive.

    Raises:
        IngestError: Unknown name, the download failed, or the checksum does not match
            (the bad file is deleted).
    """
    if name not in DATASETS:
        raise IngestError(f"unknown dataset {name!r} (known: {', '.join(DATASETS)})")
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    target = cache_dir / f"{name}.zip"
    url = f"{base_url()}/{name}.zip"
    expected = published_md5(name)
    if target.exists() and _md5(target) == expected:
        logger.info("using cached %s (checksum ok)", target)
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    logger.info("downloading %s to %s", url, target)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=cache_dir)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                with urllib.request.urlopen(_fetch(url), timeout=TIMEOUT_S) as response:
                    total = int(response.headers.get("Content-Length") or 0)
                    bar = progress(f"download {name}", total) if progress is not None else None
                    try:
                        for block in iter(lambda: response.read(1 << 20), b""):
                            out.write(block)
                            if bar is not None:
                                bar.update(len(block))
                    finally:
                        if bar is not None:
                            bar.close()
            except (urllib.error.URLError, OSError) as e:
                raise IngestError(f"cannot download {url}: {e}") from e
        actual = _md5(tmp)
        if actual != expected:
            raise IngestError(
                f"{url}: checksum mismatch (MD5 {actual}, published {expected}); the download was discarded"
            )
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
    return target
