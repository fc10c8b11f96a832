"""The package's shape: imports flow one way, and modules stay the size of one idea.

Layers, bottom to top (a module may import its own layer's package and anything below it):

    core                      errors, graph-model names, settings, the connection, progress, text tables
    cypher, server            the query library; the local Neo4j server manager
    ingest                    files -> Neo4j
    gnn                       Neo4j -> tensors -> model -> Neo4j (may read files with ingest's readers)
    pipeline, score           library entry points that combine stages
    cli                       parses options and prints
    __main__                  ``python -m movierec``
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest

import movierec

PACKAGE = Path(movierec.__file__).parent
LAYERS: dict[str, int] = {
    "core": 0,
    "cypher": 1, "server": 1,
    "ingest": 2,
    "gnn": 3,
    "pipeline": 4, "score": 4,
    "cli": 5,
    "__main__": 6,
}
MAX_LINES = 400
TOP_LEVEL_NAMES = ("ingest", "gnn", "cypher", "bench")


def _modules() -> list[tuple[str, Path]]:
    out = []
    paths = [Path(folder) / name for folder, _, files in os.walk(PACKAGE, followlinks=True)  # through the links
             for name in files if name.endswith(".py")]
    for path in sorted(paths):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        out.append((".".join(("movierec", *parts)).removesuffix(".__init__"), path))
    return out


def _part(module: str) -> str | None:
    """The layer name of ``movierec.<part>...``, ``None`` for ``movierec`` itself."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def _imports(path: Path, module: str) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            base = node.module
            if node.level:  # relative import
                base = ".".join(module.split(".")[: -node.level] + [node.module])
            out.append(base)
            out += [f"{base}.{alias.name}" for alias in node.names if base == "movierec" and alias.name in LAYERS]
    return out


MODULES = _modules()


def test_every_module_is_in_a_layer() -> None:
    unknown = {_part(m) for m, _ in MODULES} - set(LAYERS) - {None}
    assert unknown == set()


@pytest.mark.parametrize(("module", "path"), MODULES, ids=[m for m, _ in MODULES])
def test_imports_flow_downwards(module: str, path: Path) -> None:
    source = _part(module)
    rank = LAYERS[source] if source else 0
    upward = []
    for name in _imports(path, module):
        top = name.split(".")[0]
        assert top not in TOP_LEVEL_NAMES, f"{module} imports {name}: use movierec.{name}"
        if top != "movierec" or _part(name) is None:
            continue
        target = _part(name)
        assert target is not None
        if target == source:
            continue
        if LAYERS[target] >= rank:
            upward.append(name)
    assert upward == [], f"{module} ({source}, layer {rank}) imports a module of its own layer or above"


@pytest.mark.parametrize(("module", "path"), MODULES, ids=[m for m, _ in MODULES])
def test_library_modules_are_the_size_of_one_idea(module: str, path: Path) -> None:
    if _part(module) == "cli":
        return  # command modules are option lists and printing
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{module} has {lines} lines"
