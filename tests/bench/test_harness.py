"""Smoke tests of the benchmark harness (``python -m bench``): tiny data, no timing assertions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bench.__main__ import main
from bench.admin_import import convert
from bench.datasets import parse_size
from bench.machine import rust_ext_loaded
from bench.report import Row, StageResult, Target, render

MOVIES = """movieId,title,genres
1,Toy Story (1995),Adventure|Animation|Children|Comedy|Fantasy
2,"American President, The (1995)",Comedy|Drama|Romance
3,Untitled,(no genres listed)
"""
RATINGS = """userId,movieId,rating,timestamp
1,1,4.0,964982703
1,2,3.5,964981247
2,1,5.0,964982224
2,3,2.5,964983815
3,2,1.0,964982931
"""
LINKS = """movieId,imdbId,tmdbId
1,0114709,862
2,0112346,9087
3,0000003,
"""
TAGS = """userId,movieId,tag,timestamp
2,1,"funny, very",1445714994
"""


def write_tiny_release(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for name, text in (("movies", MOVIES), ("ratings", RATINGS), ("links", LINKS), ("tags", TAGS)):
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    return folder


def test_parse_size() -> None:
    assert parse_size("small") == 0
    assert parse_size("0") == 0
    assert parse_size("1M") == 1_000_000
    assert parse_size("25m") == 25_000_000
    assert parse_size("1000000") == 1_000_000
    assert parse_size("10k") == 10_000


def test_render_gives_absolute_figures_and_ratios_to_the_peer() -> None:
    result = StageResult(stage="ingest", dataset="tiny", ratings=5, primary="ratings/s",
                         units={"ratings/s": "", "seconds": "s"})
    result.rows = [Row("movierec ingest", {"ratings/s": 2000.0, "seconds": 5.0}),
                   Row("LOAD CSV", {"ratings/s": 1000.0, "seconds": 10.0}, peer=True)]
    result.targets = [Target("ingest ÷ LOAD CSV", 2.0, "≥ 2", True)]
    lines = render(result).splitlines()
    assert lines[0] == "== ingest · tiny (5 ratings) =="
    assert lines[3].split() == ["movierec", "ingest", "2,000", "(2.00x)", "5.00", "(0.50x)", "2.00x"]
    assert lines[4].split() == ["LOAD", "CSV", "[peer]", "1,000", "10.0", "1.00x"]
    assert lines[-1] == "  target ingest ÷ LOAD CSV: 2.00 (goal ≥ 2) → MET"


def test_convert_writes_the_import_tools_format(tmp_path: Path) -> None:
    files = convert(write_tiny_release(tmp_path / "tiny"), tmp_path / "out")
    assert (files.users, files.movies, files.genres, files.ratings, files.tags, files.in_genre) == (3, 3, 7, 5, 1, 8)
    movies = (tmp_path / "out" / "movies.csv").read_text().splitlines()
    assert movies[0] == "movieId:ID(Movie),title,year:long,imdbId:long,tmdbId:long"
    assert movies[1:] == ["1,Toy Story,1995,114709,862", '2,"American President, The",1995,112346,9087',
                          "3,Untitled,,3,"]
    ratings = (tmp_path / "out" / "ratings.csv").read_text().splitlines()
    assert ratings[:2] == [":START_ID(User),:END_ID(Movie),rating:float,timestamp:datetime",
                           "1,1,4.0,2000-07-30T18:45:03Z"]
    assert (tmp_path / "out" / "tags.csv").read_text().splitlines()[1] == '2,1,"funny, very",2015-10-24T19:29:54Z'


@pytest.mark.neo4j
def test_export_stage_runs_end_to_end_on_a_tiny_release(
    tmp_path: Path, neo4j_env: dict[str, str], graph: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOVIEREC_HOME", str(tmp_path / "home"))
    release = write_tiny_release(tmp_path / "ml-latest-small")
    out = tmp_path / "export.json"
    result = CliRunner().invoke(main, ["export", "--path", str(release), "--json", str(out), "--other-python", "",
                                       "--fetch-size", "1000"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "== export · ml-latest-small (5 ratings) ==" in result.output
    data = json.loads(out.read_text())
    (stage,) = data["stages"]
    rust = ", rust-ext" if rust_ext_loaded() else ""  # a dependency: CI's venv has it
    assert [row["name"] for row in stage["rows"]] == [
        f"bare driver scan{rust}, per rating, fetch 1000", f"bare driver scan{rust}, per user, fetch 1000",
        f"movierec export{rust}, fetch 1000"]
    assert [row["peer"] for row in stage["rows"]] == [True, False, False]
    assert [row["figures"]["edges/s"] > 0 for row in stage["rows"]] == [True, True, True]
    assert data["machine"]["cores"] >= 1
    assert [t["name"] for t in stage["targets"]] == [f"export edges/s{rust}", f"export time ÷ bare scan time{rust}"]
