"""Where Neo4j Browser is for the browser tests, and a headless Chromium to drive it.

The Browser must belong to the same server the tests write to. Its HTTP port comes from, in order:

1. ``MOVIEREC_TEST_NEO4J_HOME`` (set by ``scripts/test.sh``): that server home's ``server.json``;
2. the local server of ``$MOVIEREC_HOME`` (``movierec neo4j start``) when ``NEO4J_URI`` is its Bolt port;
3. otherwise a local server of its own, in a temporary home on free ports, for this module only.

Chromium is Debian's (``/usr/bin/chromium``, or ``$MOVIEREC_CHROMIUM``), driven by Playwright for
Python; Playwright's own browser downloads are never used. Without Chromium or Playwright the
tests skip, unless ``MOVIEREC_REQUIRE_BROWSER=1``.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from movierec.core.errors import MovierecError
from movierec.core.settings import Neo4jSettings
from movierec.server.local import LocalServer


@dataclass(frozen=True)
class BrowserTarget:
    """A Neo4j server whose Browser the test opens, and the settings to fill it with data."""

    url: str  # http://127.0.0.1:<http_port>/browser/
    bolt_address: str  # host:port for Browser's connect form
    settings: Neo4jSettings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _missing(message: str) -> None:
    if os.environ.get("MOVIEREC_REQUIRE_BROWSER") == "1":
        pytest.fail(f"MOVIEREC_REQUIRE_BROWSER=1 but {message}", pytrace=False)
    pytest.skip(message)


def _serves_browser(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status == 200 and b"Neo4j Browser" in resp.read()
    except OSError:
        return False


def _http_port_of(settings: Neo4jSettings) -> int | None:
    """The HTTP port of the server ``settings`` points at, when its home is known."""
    bolt_port = urlparse(settings.uri).port
    homes = []
    if os.environ.get("MOVIEREC_TEST_NEO4J_HOME"):
        homes.append(Path(os.environ["MOVIEREC_TEST_NEO4J_HOME"]))
    homes.append(LocalServer.from_env().home)
    for home in homes:
        try:
            recorded = json.loads((home / "server.json").read_text())
        except (OSError, ValueError):
            continue
        if recorded.get("bolt_port") == bolt_port and recorded.get("http_port"):
            return int(recorded["http_port"])
    return None


@pytest.fixture(scope="module")
def browser_target(neo4j_settings: Neo4jSettings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserTarget]:
    """The session's server when its Browser can be found, else a server of this module's own."""
    parsed = urlparse(neo4j_settings.uri)
    http_port = _http_port_of(neo4j_settings) if parsed.hostname in {"127.0.0.1", "localhost"} else None
    if http_port is not None:
        target = BrowserTarget(f"http://127.0.0.1:{http_port}/browser/", f"127.0.0.1:{parsed.port}", neo4j_settings)
        if _serves_browser(target.url):
            yield target
            return
    server = LocalServer.from_env(home=tmp_path_factory.mktemp("browser-neo4j"), bolt_port=_free_port(),
                                  http_port=_free_port())
    password = secrets.token_urlsafe(12)
    try:
        server.start(password=password, timeout=180)
    except MovierecError as e:
        server.stop()
        _missing(f"no local Neo4j with Browser could be started: {e}")
    try:
        if not _serves_browser(server.browser_url()):
            _missing(f"the local server does not serve Neo4j Browser at {server.browser_url()}")
        yield BrowserTarget(server.browser_url(), f"127.0.0.1:{server.bolt_port}",
                            Neo4jSettings(uri=server.bolt_uri(), password=password))
    finally:
        server.stop()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """A headless Debian Chromium under Playwright."""
    executable = os.environ.get("MOVIEREC_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(executable).exists():
        _missing("Debian's chromium is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=["--no-sandbox", "--disable-gpu"])
        try:
            yield browser
        finally:
            browser.close()
