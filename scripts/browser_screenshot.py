"""Redraw the README's Browser picture (docs/browser-explain.png): why a user's top recommendation, as Browser draws it.

Needs a graph with an active run (`movierec ingest` + `movierec pipeline` on ml-latest-small), Debian's chromium and
Playwright for Python (`scripts/install.sh test`). Uses the browser test's helpers to connect, drop the style and set
the parameters as a user would, then runs `cypher/because_you_rated_paths.cypher` for the user's recommendation of
the given rank.

    NEO4J_URI=bolt://127.0.0.1:7687 NEO4J_PASSWORD=... python scripts/browser_screenshot.py --http-port 7474 --user 1
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from movierec import cypher  # noqa: E402
from movierec.core.db import connect  # noqa: E402
from movierec.core.settings import Neo4jSettings  # noqa: E402
from tests.browser.conftest import BrowserTarget  # noqa: E402
from tests.browser.test_browser import TIMEOUT_MS, drop_file, not_blank, open_browser, run_in_editor, set_params  # noqa: E402


@click.command()
@click.option("--http-port", type=int, default=7474, show_default=True, help="The server's HTTP port (Browser).")
@click.option("--user", "user_id", type=int, default=1, show_default=True, help="The MovieLens userId.")
@click.option("--rank", type=int, default=1, show_default=True, help="Which of the user's recommendations to explain.")
@click.option("--out", type=click.Path(path_type=Path), default=ROOT / "docs" / "browser-explain.png",
              show_default=True)
@click.option("--chromium", default="/usr/bin/chromium", show_default=True)
def main(http_port: int, user_id: int, rank: int, out: Path, chromium: str) -> None:
    from playwright.sync_api import sync_playwright

    settings = Neo4jSettings.resolve()
    with connect(settings) as graph:
        top = graph.read(cypher.load("recommend_for_user"), userId=user_id, k=rank, genre=None)
        if len(top) < rank:
            raise click.ClickException(f"user {user_id} has {len(top)} recommendations in the active run")
        movie = top[rank - 1]
    click.echo(f"explaining {movie['title']} ({movie['movieId']}) for user {user_id}")
    host = settings.uri.split("://", 1)[1]
    target = BrowserTarget(url=f"http://{host.split(':')[0]}:{http_port}/browser/", bolt_address=host,
                           settings=settings)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 860})
            open_browser(page, target)
            drop_file(page, Path(cypher.__file__).parent / "movierec.grass")
            page.wait_for_function("() => document.body.innerText.includes('node.User')", timeout=TIMEOUT_MS)
            set_params(page, {"userId": str(user_id), "movieId": str(movie["movieId"]), "minRating": "4.0", "k": "3"})
            run_in_editor(page, cypher.load("because_you_rated_paths"))
            page.wait_for_selector("article svg .node", timeout=TIMEOUT_MS)
            page.wait_for_timeout(4000)  # let the force layout settle
            page.screenshot(path=str(out))
        finally:
            browser.close()
    if not_blank(out) < 10:
        raise click.ClickException(f"{out} looks blank")
    click.echo(f"wrote {out}")


if __name__ == "__main__":
    main()
