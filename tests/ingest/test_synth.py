"""Synthetic releases: exact size, deterministic, long-tailed, readable as MovieLens."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from click.testing import CliRunner

from movierec.cli import cli
from movierec.ingest.movielens import read_release
from movierec.ingest.synth import synthesize
from tests.ingest.releases import csv_release


def _digest(path: Path) -> dict[str, str]:
    return {p.name: hashlib.md5(p.read_bytes()).hexdigest() for p in sorted(path.iterdir())}


def test_exact_size_deterministic_and_readable(tmp_path: Path) -> None:
    a = synthesize(50_000, tmp_path / "a", seed=3)
    b = synthesize(50_000, tmp_path / "b", seed=3)
    synthesize(50_000, tmp_path / "c", seed=4)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert _digest(tmp_path / "a")["ratings.csv"] != _digest(tmp_path / "c")["ratings.csv"]
    assert sorted(_digest(tmp_path / "a")) == ["links.csv", "movies.csv", "ratings.csv", "tags.csv"]
    release = read_release(tmp_path / "a")
    assert (a.ratings, len(release.ratings)) == (50_000, 50_000)
    assert (a.users, a.movies, a.tags) == (len(release.users), len(release.movies), len(release.tags))
    assert a.tags == 1826  # 3,683 tags per 100,836 ratings, as in ml-latest-small
    assert (a.users, a.movies) == (b.users, b.movies)
    per_user = release.ratings.groupby("userId").size()
    per_movie = release.ratings.groupby("movieId").size()
    assert per_user.min() >= 1
    assert per_user.quantile(0.5) < per_user.mean() < per_user.max() / 3  # long tail: mean well above median
    assert per_movie.quantile(0.5) < per_movie.mean() < per_movie.max() / 5
    assert set(np.unique(release.ratings["rating"] * 2)) <= set(range(1, 11))
    assert release.ratings["rating"].value_counts().idxmax() == 4.0
    assert release.movies.set_index("movieId").loc[7, "title"] == "Synthetic Movie 7, The"


def test_resamples_a_reference_release(tmp_path: Path) -> None:
    reference = csv_release(tmp_path / "ref")
    summary = synthesize(2_000, tmp_path / "out", seed=0, reference=reference)
    assert summary.reference == str(reference)
    release = read_release(tmp_path / "out")
    assert len(release.ratings) == 2_000
    # Genre strings come from the reference's movies.
    assert set(release.genres) <= {"Adventure", "Animation", "Children", "Comedy", "Drama", "Fantasy", "Mystery",
                                   "Romance", "Sci-Fi"}


def test_cli(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["synth", "--ratings", "3000", "--out", str(tmp_path / "s"), "--seed", "1",
                                      "--like", str(csv_release(tmp_path / "ref")), "--quiet"],
                                catch_exceptions=False)
    assert result.exit_code == 0
    assert result.output.startswith(f"wrote {tmp_path / 's'}: ")
    assert ", 3,000 ratings, 110 tags in " in result.output
