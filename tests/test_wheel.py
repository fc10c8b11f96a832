"""The built wheel: one top-level import name, ``movierec``, and a pipeline that runs from it.

Builds the wheel from this checkout (no build isolation: the test extras bring setuptools), installs it
with ``--no-deps`` into a fresh venv, and compares that venv's site-packages before and after. The
fresh venv borrows the dependencies (torch, neo4j, ...) of the running interpreter through a ``.pth``
path line, which adds their folder to ``sys.path`` but runs none of its ``.pth`` files: the editable
install of this checkout stays out, so ``movierec`` can only come from the wheel.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from movierec.core.db import Graph
from tests.fixtures import two_communities

ROOT = Path(__file__).resolve().parents[1]


def _run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kwargs)  # type: ignore[call-overload]
    assert proc.returncode == 0, f"{' '.join(cmd)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, set[str]]:
    """(wheel, venv, names the install added to site-packages)."""
    tmp = tmp_path_factory.mktemp("wheel")
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp / "dist"),
          str(ROOT)])
    (wheel,) = (tmp / "dist").glob("movierec-*.whl")
    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", str(venv)])
    python = venv / "bin" / "python"
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    before = set(os.listdir(site))
    _run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)])
    added = set(os.listdir(site)) - before
    (site / "_movierec_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return wheel, venv, added


def test_the_wheel_installs_one_top_level_package(wheel_venv: tuple[Path, Path, set[str]]) -> None:
    wheel, _, added = wheel_venv
    assert {name for name in added if not name.endswith(".dist-info")} == {"movierec"}
    with zipfile.ZipFile(wheel) as z:
        tops = {name.split("/")[0] for name in z.namelist()}
        names = set(z.namelist())
    assert {t for t in tops if not t.endswith(".dist-info")} == {"movierec"}
    # the linked stage folders travel as real files, with the Cypher library
    assert {"movierec/gnn/data/export.py", "movierec/ingest/load.py", "movierec/cypher/recommend_for_user.cypher",
            "movierec/cypher/movierec.grass"} <= names
    assert not any(name.startswith("movierec/bench") or name.startswith("bench/") for name in names)


@pytest.mark.neo4j
def test_movierec_pipeline_runs_from_the_wheel(
    wheel_venv: tuple[Path, Path, set[str]], graph: Graph, neo4j_env: dict[str, str], tmp_path: Path
) -> None:
    _, venv, _ = wheel_venv
    where = _run([str(venv / "bin" / "python"), "-c", "import movierec.gnn.data.export as m; print(m.__file__)"],
                 cwd=tmp_path).stdout.strip()
    assert where.startswith(str(venv)), where
    release = two_communities(tmp_path / "release")
    env = {**os.environ, **neo4j_env}
    proc = _run([str(venv / "bin" / "movierec"), "pipeline", "--path", str(release), "--epochs", "2", "--k", "2",
                 "--sample-users", "1", "--device", "cpu", "-q"], cwd=tmp_path, env=env)
    assert "12 User, 12 Movie, 4 Genre, 48 RATED" in proc.stdout
    assert "pipeline done" in proc.stdout
    (active,) = graph.read("MATCH (r:ModelRun {active: true}) RETURN r.path AS path")
    assert Path(active["path"]).parent == tmp_path / "runs"
