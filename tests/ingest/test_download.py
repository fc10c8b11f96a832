"""--download against a local HTTP server serving a zip the test builds, with its published MD5."""

from __future__ import annotations

import functools
import hashlib
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from movierec.cli import cli
from movierec.core.db import Graph
from movierec.core.errors import IngestError
from movierec.ingest.download import BASE_URL_ENV, download_release
from tests.ingest.releases import csv_release, zip_release


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        pass


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder served over HTTP on 127.0.0.1, set as the download base URL."""
    root = tmp_path / "www"
    root.mkdir()
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv(BASE_URL_ENV, f"http://127.0.0.1:{server.server_address[1]}/datasets/movielens")
    (root / "datasets" / "movielens").mkdir(parents=True)
    try:
        yield root / "datasets" / "movielens"
    finally:
        server.shutdown()
        server.server_close()


def _publish(folder: Path, tmp_path: Path, name: str = "ml-latest-small") -> str:
    archive = zip_release(csv_release(tmp_path / name), folder / f"{name}.zip")
    md5 = hashlib.md5(archive.read_bytes()).hexdigest()
    (folder / f"{name}.zip.md5").write_text(f"{md5}  {name}.zip\n")
    return md5


def test_download_verifies_and_caches(served: Path, tmp_path: Path) -> None:
    _publish(served, tmp_path)
    cache = tmp_path / "cache"
    path = download_release("ml-latest-small", cache_dir=cache)
    assert path == cache / "ml-latest-small.zip"
    assert path.read_bytes() == (served / "ml-latest-small.zip").read_bytes()
    (served / "ml-latest-small.zip").unlink()  # cached: not fetched again
    assert download_release("ml-latest-small", cache_dir=cache) == path


def test_checksum_mismatch_discards_the_download(served: Path, tmp_path: Path) -> None:
    _publish(served, tmp_path)
    (served / "ml-latest-small.zip.md5").write_text("0" * 32 + "  ml-latest-small.zip\n")
    cache = tmp_path / "cache"
    with pytest.raises(IngestError, match=r"checksum mismatch \(MD5 [0-9a-f]{32}, published 0{32}\)"):
        download_release("ml-latest-small", cache_dir=cache)
    assert list(cache.iterdir()) == []


def test_missing_archive_is_one_clear_error(served: Path, tmp_path: Path) -> None:
    with pytest.raises(IngestError, match=r"cannot fetch the published checksum http://127\.0\.0\.1:\d+/datasets/"
                                          r"movielens/ml-1m\.zip\.md5: HTTP Error 404"):
        download_release("ml-1m", cache_dir=tmp_path / "cache")


@pytest.mark.neo4j
def test_ingest_download(graph: Graph, served: Path, tmp_path: Path, neo4j_env: dict[str, str]) -> None:
    _publish(served, tmp_path)
    result = CliRunner().invoke(
        cli, ["ingest", "--download", "ml-latest-small", "--cache-dir", str(tmp_path / "cache"), "--quiet"],
        env=neo4j_env, catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"ingested ml-latest-small from {tmp_path / 'cache' / 'ml-latest-small.zip'}")
    assert graph.read("MATCH ()-[r:RATED]->() RETURN count(r) AS n")[0]["n"] == 5
