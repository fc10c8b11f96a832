"""Neo4j Browser in a real headless Chromium: connect, run the library's queries, check the screenshots."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import torch
from PIL import Image, ImageStat

from movierec import cypher
from movierec.core.db import connect
from movierec.cypher.admin import wipe
from movierec.gnn.serving.writeback import write_back
from tests.browser.conftest import BrowserTarget
from tests.fixtures import FixedRun, expected_top_k, make_graph, users_and_movies

TIMEOUT_MS = 60_000


def open_browser(page: Any, target: BrowserTarget) -> None:
    """Open Browser and connect with the target's password over Bolt."""
    page.goto(target.url, wait_until="networkidle", timeout=TIMEOUT_MS)
    page.wait_for_selector("[data-testid=boltaddress]", timeout=TIMEOUT_MS)
    page.select_option("select", "bolt://")
    page.fill("[data-testid=boltaddress]", target.bolt_address)
    page.fill("[data-testid=username]", target.settings.user)
    page.fill("[data-testid=password]", target.settings.password or "")
    page.click("[data-testid=connect]")
    page.wait_for_selector("text=You are connected as user", timeout=TIMEOUT_MS)


def run_in_editor(page: Any, text: str) -> None:
    """Type ``text`` into the main editor as a paste would (no auto-closed brackets) and run it."""
    page.click(".monaco-editor")
    page.keyboard.insert_text(text)
    page.keyboard.press("Control+Enter")


DROP_FILE = """([name, text]) => {
  const data = new DataTransfer();
  data.items.add(new File([text], name, {type: 'text/plain'}));
  // Browser's drop zone is an element of its own (class "filedrop"), below body
  const zone = document.querySelector('.filedrop') || document.body;
  for (const type of ['dragenter', 'dragover', 'drop']) {
    zone.dispatchEvent(new DragEvent(type, {dataTransfer: data, bubbles: true, cancelable: true}));
  }
}"""


def drop_file(page: Any, path: Path) -> None:
    """Drop a file onto Browser, as a user dragging it from their file manager does."""
    page.evaluate(DROP_FILE, [path.name, path.read_text()])


def set_params(page: Any, params: dict[str, str]) -> None:
    """Set each parameter as the query files say, ``:param name => value`` (evaluated by the server,
    so integers stay integers; ``:params {...}`` would turn them into floats)."""
    for name, value in params.items():
        before = page.locator("text=Successfully set your parameters").count()
        run_in_editor(page, f":param {name} => {value}")
        page.wait_for_function(
            "n => document.body.innerText.split('Successfully set your parameters').length - 1 > n", arg=before,
            timeout=TIMEOUT_MS,
        )


def not_blank(path: Path) -> float:
    """The screenshot's grey-level standard deviation (a blank page is ~0)."""
    with Image.open(path) as image:
        return float(ImageStat.Stat(image.convert("L")).stddev[0])


def test_browser_runs_recommend_for_user_and_draws_the_explanation(
    browser_target: BrowserTarget, chromium: Any, tmp_path: Path
) -> None:
    with connect(browser_target.settings) as graph:
        wipe(graph)
        rated = make_graph(graph)
        run = FixedRun("run-browser", *users_and_movies(), seed=5)
        write_back(graph, run, k=5)
    top = expected_top_k(run, rated, 5)[102]

    page = chromium.new_page(viewport={"width": 1280, "height": 860})
    try:
        open_browser(page, browser_target)
        set_params(page, {"userId": "102", "k": "5", "genre": "null"})
        run_in_editor(page, cypher.load("recommend_for_user"))
        page.wait_for_selector("text=Started streaming 5 records", timeout=TIMEOUT_MS)
        frame = page.locator("article").first
        text = frame.inner_text()
        for movie_id in top:
            assert f'"Movie {movie_id}"' in text
        assert "run-browser" in text
        shot = tmp_path / "browser-recommend.png"
        page.screenshot(path=str(shot))
        assert not_blank(shot) > 10

        # any predicted rating, as in the README: the :param lines, then predict_rating as it is in its file
        movies = [1000, 1001, 1002]
        set_params(page, {"userId": "102", "movieIds": str(movies)})
        run_in_editor(page, cypher.load("predict_rating"))
        page.wait_for_selector("text=Started streaming 3 records", timeout=TIMEOUT_MS)
        text = page.locator("article").first.inner_text()
        shown = [float(x) for x in re.findall(r"\b\d\.\d{6,}\b", text)]
        ui = torch.full((len(movies),), run.user_ids.index(102))
        expected = run.predict_rating(ui, torch.tensor([run.movie_ids.index(m) for m in movies])).tolist()
        assert shown == pytest.approx(expected, abs=1e-4)

        # the style (dropped as a file, as the README says), then an explanation drawn as a graph
        drop_file(page, Path(cypher.__file__).parent / "movierec.grass")
        page.wait_for_function("() => document.body.innerText.includes('node.User')",  # the :style frame
                               timeout=TIMEOUT_MS)
        set_params(page, {"userId": "102", "movieId": str(top[0]), "minRating": "4.0", "k": "3"})
        run_in_editor(page, cypher.load("because_you_rated_paths"))
        page.wait_for_selector("article svg .node", timeout=TIMEOUT_MS)
        page.wait_for_timeout(2000)  # let the force layout settle
        assert "Something went wrong" not in page.content()
        captions = [c.strip() for c in page.locator("article svg .node text").all_text_contents()]
        assert "102" in captions  # the style's User caption is {userId}
        assert any(c.startswith("Movie") for c in captions)
        shot = tmp_path / "browser-explain.png"
        page.screenshot(path=str(shot))
        assert not_blank(shot) > 10
    except Exception:
        page.screenshot(path=str(tmp_path / "browser-failure.png"))  # kept with MOVIEREC_BROWSER_SCREENSHOTS
        raise
    finally:
        page.close()
        keep = os.environ.get("MOVIEREC_BROWSER_SCREENSHOTS")
        if keep:
            for png in tmp_path.glob("*.png"):
                shutil.copy(png, Path(keep) / png.name)


def test_grass_style_draws_recommended_apart_from_rated() -> None:
    text = (Path(cypher.__file__).parent / "movierec.grass").read_text()
    blocks = {
        m["selector"]: dict(re.findall(r'^\s*([\w-]+):\s*"?([^";]*)"?;', m["body"], re.MULTILINE))
        for m in re.finditer(r"^(?P<selector>[\w.]+) \{\n(?P<body>.*?)^\}", text, re.MULTILINE | re.DOTALL)
    }
    assert set(blocks) == {"node", "relationship", "node.User", "node.Movie", "node.Genre", "node.ModelRun",
                           "relationship.RATED", "relationship.TAGGED", "relationship.IN_GENRE",
                           "relationship.RECOMMENDED"}
    assert blocks["node.User"]["caption"] == "{userId}"
    assert blocks["node.Movie"]["caption"] == "{title}"
    assert blocks["node.Genre"]["caption"] == "{name}"
    rec, rated = blocks["relationship.RECOMMENDED"], blocks["relationship.RATED"]
    assert rec["color"] != rated["color"]
    assert int(rec["shaft-width"].removesuffix("px")) > int(rated["shaft-width"].removesuffix("px"))
