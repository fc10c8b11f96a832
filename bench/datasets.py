"""The releases benchmarks run on: ml-latest-small, or a synthetic release of N ratings.

``--size small`` (or ``0``) is ``$MOVIELENS_DIR/ml-latest-small`` (default
``../shared/datasets``). ``--size N`` is a synthetic release of N ratings in the ml-25m CSV
layout, made once with ``movierec synth --ratings N --out DIR`` (deterministic for its
seed) and kept in ``$MOVIEREC_BENCH_DATA`` (default ``<bench root>/data/synth-N``).
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from bench.server import bench_root
from movierec.core.errors import MovierecError

logger = logging.getLogger(__name__)

SMALL = "ml-latest-small"
SYNTH_SEED = 0


class DatasetError(MovierecError):
    """A benchmark dataset could not be found or generated."""


@dataclass(frozen=True)
class Dataset:
    """A release on disk and its size."""

    name: str
    path: Path
    ratings: int


def movielens_dir() -> Path:
    default = Path(__file__).resolve().parents[2] / "shared" / "datasets"
    return Path(os.environ.get("MOVIELENS_DIR") or default)


def data_root() -> Path:
    return Path(os.environ.get("MOVIEREC_BENCH_DATA") or bench_root() / "data")


def parse_size(text: str) -> int:
    """``small``/``0`` → 0; ``1000000``, ``1M``, ``25m``, ``10k`` → that many ratings."""
    text = text.strip().lower().replace("_", "").replace(",", "")
    if text in {"small", SMALL, "0"}:
        return 0
    factor = 1
    if text[-1:] in {"k", "m"}:
        factor = 1_000 if text[-1] == "k" else 1_000_000
        text = text[:-1]
    try:
        value = int(float(text) * factor)
    except ValueError as e:
        raise DatasetError(f"--size {text!r} is not 'small' or a number of ratings like 1000000 or 1M") from e
    if value < 0:
        raise DatasetError("--size must not be negative")
    return value


def count_lines(path: Path) -> int:
    """Data lines of a CSV file with a header."""
    with open(path, "rb") as f:
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 24), b""))
    return max(lines - 1, 0)


def resolve(size: int) -> Dataset:
    """The dataset for ``size`` (0 = ml-latest-small), generating a synthetic one when missing.

    Raises:
        DatasetError: If ml-latest-small is missing or ``movierec synth`` fails.
    """
    if size == 0:
        path = movielens_dir() / SMALL
        if not (path / "ratings.csv").exists():
            raise DatasetError(f"{path} has no ratings.csv: set MOVIELENS_DIR to the folder holding {SMALL}")
        return Dataset(name=SMALL, path=path, ratings=count_lines(path / "ratings.csv"))
    path = data_root() / f"synth-{size}"
    if not (path / ".complete").exists():
        generate(size, path)
    return Dataset(name=f"synth-{_short(size)}", path=path, ratings=count_lines(path / "ratings.csv"))


def from_path(path: Path) -> Dataset:
    """Any MovieLens CSV release on disk (``--path``), named after its folder.

    Raises:
        DatasetError: If the folder has no ``ratings.csv``.
    """
    if not (path / "ratings.csv").exists():
        raise DatasetError(f"{path} has no ratings.csv (the harness reads CSV releases: ml-latest, ml-25m layout)")
    return Dataset(name=path.name, path=path, ratings=count_lines(path / "ratings.csv"))


def generate(size: int, path: Path) -> None:
    """Run ``movierec synth --ratings SIZE --out PATH`` (into a temporary folder, then renamed)."""
    tmp = path.with_name(path.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.parent.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-c", "from movierec.cli import main; main()", "synth", "--ratings", str(size),
           "--out", str(tmp), "--seed", str(SYNTH_SEED), "--quiet"]
    logger.info("generating a synthetic release: %s", " ".join(cmd))
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise DatasetError(f"`movierec synth` failed (exit {proc.returncode}): {(proc.stderr or proc.stdout)[-800:]}")
    shutil.rmtree(path, ignore_errors=True)
    os.replace(tmp, path)
    (path / ".complete").write_text(f"{size}\n")


def _short(size: int) -> str:
    if size % 1_000_000 == 0:
        return f"{size // 1_000_000}M"
    if size % 1_000 == 0:
        return f"{size // 1_000}k"
    return str(size)
