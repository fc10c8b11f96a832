"""The package's shape: imports flow one way, and modules stay the size of one idea.

Layers, bottom to top (a module may import its own layer's package and anything below it):

    core                      errors, graph-model names, settings, the connection, progress, text tables
    cypher, server            the query library; the local Neo4j server manager
    ingest                    files -> Neo4j
    gnn                       Neo4j -> tensors -> model -> Neo4j (may read files with ingest's readers)
    pipeline, score           library entry points that combine stages
    cli                       parses options and prints
    __main__                  ``python -m movierec``

Inside gnn the stages are layered too, in the order the data flows (a module may import its own rank or below):

    data                      Neo4j -> PyG: export, --where, ids, split, sampler
    (leaves)                  training.config, training.early_stopping, evaluation.metrics, evaluation.plots,
                              serving.similar: what every stage uses, importing no model
    models                    one module per model and peer, their interface and registry, the scorers
    training                  fit a registered model, the run directory, rebuild
    serving                   top-K, write-back, fold-in, refresh
    evaluation                a run against its peers, fold-in quality

No library module names a model outside gnn/models/: train, rebuild, fold-in, evaluate and the CLI ask the registry.
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
GNN_LAYERS: dict[str, int] = {
    "data": 0,
    "training.config": 1, "training.early_stopping": 1, "evaluation.metrics": 1, "evaluation.plots": 1,
    "serving.similar": 1,
    "models": 2,
    "training": 3,
    "serving": 4,
    "evaluation": 5,
}
GNN_STAGES = ("data", "models", "training", "evaluation", "serving")
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


def _gnn_rank(module: str) -> int | None:
    """The rank of ``movierec.gnn.<stage>...`` in :data:`GNN_LAYERS` (the longest prefix that names it)."""
    parts = module.split(".")
    if parts[:2] != ["movierec", "gnn"] or len(parts) < 3:
        return None
    for n in (2, 1):
        key = ".".join(parts[2:2 + n])
        if len(parts) >= 2 + n and key in GNN_LAYERS:
            return GNN_LAYERS[key]
    return None


def test_gnn_is_one_folder_per_stage() -> None:
    gnn = PACKAGE / "gnn"
    loose = sorted(p.name for p in gnn.iterdir() if p.suffix == ".py" and p.name != "__init__.py")
    assert loose == []
    assert sorted(p.name for p in gnn.iterdir() if p.is_dir() and p.name != "__pycache__") == sorted(GNN_STAGES)


GNN_MODULES = [(m, p) for m, p in MODULES if m.startswith("movierec.gnn.") and m.count(".") >= 3]


@pytest.mark.parametrize(("module", "path"), GNN_MODULES, ids=[m for m, _ in GNN_MODULES])
def test_gnn_stages_import_in_data_flow_order(module: str, path: Path) -> None:
    rank = _gnn_rank(module)
    assert rank is not None, f"{module} is in no stage of GNN_LAYERS"
    upward = [name for name in _imports(path, module) if (_gnn_rank(name) or 0) > rank]
    assert upward == [], f"{module} (gnn rank {rank}) imports a later stage"


def test_no_module_outside_the_models_dispatches_on_a_model_name() -> None:
    from movierec.gnn.models.registry import MODELS, PEERS

    names = set(MODELS) | set(PEERS)
    found = []
    for module, path in MODULES:
        if module.startswith("movierec.gnn.models."):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Compare):
                continue
            for side in [node.left, *node.comparators]:
                values = side.elts if isinstance(side, ast.Tuple | ast.List | ast.Set) else [side]
                if any(isinstance(v, ast.Constant) and v.value in names for v in values):
                    found.append(f"{module}:{node.lineno}")
    assert found == []
