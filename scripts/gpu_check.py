"""The Python half of ``scripts/gpu_check.sh``: CPU-vs-CUDA training and top-K scoring, without Neo4j.

Subcommands (the shell script calls them; run from the repository root with ``PYTHONPATH=$PWD``):

- ``manifest GRAPH --ratings N --out JSON``: describe a prepared graph file (size, sha256, users, movies, ratings).
- ``import-check``: import the ``movierec`` CLI the way the device run does (``neo4j`` driver replaced by a stub).
- ``run --data GRAPH --manifest JSON --accel cuda|cpu ...``: train ``sage``, ``lightgcn`` (a few epochs) and
  ``ease`` with ``movierec train --data GRAPH --device cuda`` and again with ``--device cpu``, time top-K scoring of
  every user on CPU and on the accelerator over the CPU-trained runs, check the metrics agree, write one JSON.

The device machine has torch, torch-geometric, pandas, click, tqdm and matplotlib but no ``neo4j`` driver, and
``movierec.cli`` (through ``movierec.core.db``) and ``movierec.gnn.training.run`` (through ``movierec.gnn.data.export``)
import the driver at module level. ``train --data FILE`` never talks to Neo4j, so when the driver is missing
(or ``--stub-neo4j`` is given) a stub module stands in for it: importing works, any use of it raises.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import importlib.util
import json
import math
import os
import platform
import statistics
import sys
import time
import types
from pathlib import Path
from typing import Any

STUB_MESSAGE = "the neo4j driver is not installed here (scripts/gpu_check.py stub): this path needs Neo4j"


def install_neo4j_stub() -> None:
    """Put a stand-in ``neo4j`` package in ``sys.modules``: any name imports, any use raises."""

    class _AbsentMeta(type):
        def __getattr__(cls, name: str) -> Any:
            if name.startswith("__"):
                raise AttributeError(name)
            return cls  # e.g. RoutingControl.READ at import time: a placeholder, unusable

    class _Absent(metaclass=_AbsentMeta):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            raise RuntimeError(STUB_MESSAGE)

    def module(name: str, base: type) -> types.ModuleType:
        mod = types.ModuleType(name)
        mod.__path__ = []  # a package, so that neo4j.exceptions etc. import

        def getattr_(attr: str) -> Any:
            if attr.startswith("__"):
                raise AttributeError(attr)
            value = _AbsentMeta(attr, (base,), {}) if base is _Absent else type(attr, (base,), {})
            setattr(mod, attr, value)  # the same object on every import
            return value

        mod.__getattr__ = getattr_  # type: ignore[method-assign]
        return mod

    root = module("neo4j", _Absent)
    exceptions = module("neo4j.exceptions", Exception)
    root.exceptions = exceptions  # type: ignore[attr-defined]
    sys.modules["neo4j"] = root
    sys.modules["neo4j.exceptions"] = exceptions


def prepare_imports(force_stub: bool) -> bool:
    """Stub the driver when it is missing (or asked to); returns whether the stub is in place."""
    if force_stub or importlib.util.find_spec("neo4j") is None:
        install_neo4j_stub()
        return True
    return False


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --------------------------------------------------------------------------------------------- manifest


def cmd_manifest(args: argparse.Namespace) -> int:
    prepare_imports(force_stub=False)
    from movierec.gnn.data.export import load_heterodata
    from movierec.gnn.data.hetero import MOVIE, RATES, USER

    graph = Path(args.graph)
    data = load_heterodata(graph)
    manifest = {"graph": graph.name, "bytes": graph.stat().st_size, "sha256": sha256(graph),
                "ratings": int(data[RATES].num_edges), "users": int(data[USER].num_nodes),
                "movies": int(data[MOVIE].num_nodes), "synth_ratings": args.ratings, "source": args.source,
                "prepared_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "prepared_with": {"python": platform.python_version(), "torch": _version("torch"),
                                  "torch_geometric": _version("torch_geometric")}}
    Path(args.out).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    print(f"{manifest['ratings']:,} ratings, {manifest['users']:,} users, {manifest['movies']:,} movies, "
          f"{manifest['bytes'] / 2**20:.1f} MiB -> {args.out}")
    return 0


def _version(name: str) -> str | None:
    try:
        return str(__import__(name).__version__)
    except Exception:  # a missing package is a fact to record, not an error
        return None


# ------------------------------------------------------------------------------------------ import check


def cmd_import_check(args: argparse.Namespace) -> int:
    stubbed = prepare_imports(force_stub=True)
    started = time.perf_counter()
    import movierec.cli  # noqa: F401
    import movierec.gnn.training.run  # noqa: F401
    from movierec.gnn.training.train import resolve_device

    print(f"import check: movierec.cli and movierec.gnn.training.run import with the neo4j driver stubbed "
          f"(stub={stubbed}) in {time.perf_counter() - started:.1f} s; resolve_device('auto') here -> "
          f"{resolve_device('auto')}")
    return 0


# -------------------------------------------------------------------------------------------------- run


class Report:
    """The figures so far; written to JSON after every step, so a run cut short still leaves them."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.data: dict[str, Any] = {"complete": False, "checks": [], "steps": {}, "skipped": []}

    def save(self) -> None:
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(json.dumps(self.data, indent=2, default=str) + "\n", encoding="utf-8")

    def check(self, name: str, value: float, limit: float, ok: bool) -> None:
        self.data["checks"].append({"check": name, "value": value, "limit": limit, "ok": ok})
        print(f"  check {'OK  ' if ok else 'FAIL'} {name}: {value:.6g} (limit {limit:g})", flush=True)
        self.save()


def failure(report: Report, step: str, error: BaseException) -> None:
    """Record a step that raised (click's SystemExit included) as a failed check, with its traceback printed."""
    import traceback

    traceback.print_exception(type(error), error, error.__traceback__)
    report.data.setdefault("errors", {})[step] = f"{type(error).__name__}: {error}"
    report.check(f"{step} ran without error", 0.0, 1.0, False)


def train_with_cli(graph: Path, model: str, device: str, runs_dir: Path, extra: list[str]) -> tuple[Path, float]:
    """``movierec train --data GRAPH --model MODEL --device DEVICE`` in this process; its run dir and wall time."""
    from movierec.cli import cli

    args = ["train", "--data", str(graph), "--model", model, "--device", device, "--seed", "0",
            "--runs-dir", str(runs_dir), "--quiet", *extra]
    print(f"$ movierec {' '.join(args)}", flush=True)
    started = time.perf_counter()
    cli.main(args=args, prog_name="movierec", standalone_mode=False)
    seconds = time.perf_counter() - started
    runs = sorted(p for p in runs_dir.iterdir() if p.is_dir())
    if len(runs) != 1:
        raise RuntimeError(f"expected one run directory under {runs_dir}, found {len(runs)}")
    return runs[0], seconds


def run_figures(run_dir: Path, wall: float) -> dict[str, Any]:
    metrics = json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))
    epochs: list[float] = []
    history = run_dir / "history.csv"
    if history.is_file():
        with history.open(newline="", encoding="utf-8") as f:
            epochs = [float(row["seconds"]) for row in csv.DictReader(f) if row.get("seconds")]
    after_first = epochs[1:] or epochs
    return {"run": str(run_dir), "wall_s": wall, "train_s": metrics.get("train_seconds"),
            "epochs": len(epochs), "s_per_epoch_mean": statistics.fmean(epochs) if epochs else None,
            "s_per_epoch_median_after_first": statistics.median(after_first) if after_first else None,
            "first_epoch_s": epochs[0] if epochs else None,
            "rmse": metrics.get("rmse"), "mae": metrics.get("mae"), "ndcg@10": metrics.get("ndcg@10"),
            "recall@10": metrics.get("recall@10")}


class DeviceRun:
    """A loaded run whose scores are computed on ``device`` (the library's scorers score on CPU).

    ``sage`` (and ``lightgcn``) rank with a :class:`LinearScorer`, which moves as a whole; ``ease`` ranks with an
    :class:`ItemItemScorer` (``h_u[items] @ B``): the user's CSR row is built on CPU as the library does, ``B`` lives
    on the device, and the product is the same COO ``torch.sparse.mm`` as ``ItemItemScorer._apply``.
    """

    def __init__(self, run: Any, device: Any) -> None:
        import torch

        from movierec.gnn.models.scorers import ItemItemScorer, LinearScorer

        self.run_id, self.path, self.model = run.run_id, run.path, run.model
        self.user_ids, self.movie_ids = run.user_ids, run.movie_ids
        self.device = device
        scorer = run.rank_scorer
        self._linear = scorer.to(device) if isinstance(scorer, LinearScorer) else None
        self._item_item = scorer if isinstance(scorer, ItemItemScorer) else None
        if self._linear is None and self._item_item is None:
            raise TypeError(f"no device scoring for a {type(scorer).__name__} here")
        if self._item_item is not None:
            self._weight = self._item_item.weight.to(device)
            self._items = self._item_item.items.to(device)
        self._torch = torch

    def score(self, user_index: Any) -> Any:
        torch = self._torch
        if self._linear is not None:
            return self._linear.scores(user_index.long().to(self.device))
        s = self._item_item
        assert s is not None
        signal = s.history.sparse(user_index.long().cpu(), columns=s.items).to_sparse_coo().to(self.device)
        out = torch.full((signal.size(0), s.history.num_movies), -math.inf, device=self.device)
        out[:, self._items] = torch.sparse.mm(signal, self._weight)
        return out


def time_top_k(run: Any, rated: tuple[Any, Any], device: str | None, chunk: int,
               k: int = 20) -> tuple[float, Any, int]:
    """Top-``k`` of every user with :func:`movierec.gnn.serving.topk.top_k`; seconds, ``[U, k]`` movies (CPU), chunks.

    ``device=None`` scores with the run as loaded (the library's CPU path); a device scores through
    :class:`DeviceRun` (``"cpu"`` too: how ``GPU_CHECK_FORCE_CPU`` tests that path).
    """
    import torch

    from movierec.gnn.serving.topk import top_k

    scoring = run if device is None else DeviceRun(run, torch.device(device))
    device = device or "cpu"
    if device.startswith("cuda"):  # warm up (context, cuBLAS / cuSPARSE handles) outside the timing
        for _ in top_k(scoring, rated, k=k, user_index=torch.arange(min(chunk, len(run.user_ids))), chunk_size=chunk):
            pass
        torch.cuda.synchronize()
    started = time.perf_counter()
    movies, n = [], 0
    for result in top_k(scoring, rated, k=k, chunk_size=chunk):
        movies.append(result.movies.cpu())  # what a writeback needs: the indices back on the host
        n += 1
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return time.perf_counter() - started, torch.cat(movies), n


def top_k_overlap(a: Any, b: Any) -> float:
    """Mean share of each user's top-k movies that both lists hold (1.0: the same sets)."""
    total, users = 0.0, a.size(0)
    for start in range(0, users, 4096):
        x, y = a[start:start + 4096], b[start:start + 4096]
        total += float((x.unsqueeze(2) == y.unsqueeze(1)).any(2).float().mean(1).sum())
    return total / max(users, 1)


def cmd_run(args: argparse.Namespace) -> int:
    stubbed = prepare_imports(force_stub=args.stub_neo4j)
    started = time.perf_counter()
    import torch

    from movierec.gnn.training.train import resolve_device

    accel = args.accel
    out_json = Path(args.json) if args.json else None
    report = Report(out_json)
    graph = Path(args.data)
    manifest = json.loads(Path(args.manifest).read_text(encoding="utf-8")) if args.manifest else {}
    cuda = torch.cuda.is_available()
    auto = str(resolve_device("auto"))
    report.data["environment"] = {
        "host": platform.node(), "python": platform.python_version(), "torch": torch.__version__,
        "torch_geometric": _version("torch_geometric"), "cuda_available": cuda,
        "gpu": torch.cuda.get_device_name(0) if cuda else None, "cpu_threads": torch.get_num_threads(),
        "cpu_count": os.cpu_count(), "neo4j_driver": "stub" if stubbed else "installed",
        "resolve_device_auto": auto, "accelerator_under_test": accel}
    report.data["graph"] = {"path": str(graph), **manifest}
    report.data["tolerance"] = {"ndcg@10": args.tol_ndcg, "rmse": args.tol_rmse, "top_k_overlap": args.min_overlap}
    env = report.data["environment"]
    print(f"torch {env['torch']}, torch-geometric {env['torch_geometric']}, python {env['python']}, "
          f"{env['cpu_threads']} CPU threads, GPU: {env['gpu'] or 'none'}; neo4j driver: {env['neo4j_driver']}",
          flush=True)
    if accel.startswith("cuda"):
        report.check("resolve_device('auto') is cuda", 1.0 if auto.startswith("cuda") else 0.0, 1.0,
                     auto.startswith("cuda"))
    if manifest.get("sha256"):
        ok = sha256(graph) == manifest["sha256"]
        report.check("graph file sha256 matches the manifest", 1.0 if ok else 0.0, 1.0, ok)
        if not ok:
            return 1
    if accel.startswith("cuda"):
        torch.ones(1, device=accel).sum().item()  # CUDA context up before any timing
    report.save()

    def budget_left() -> float:
        return args.budget - (time.perf_counter() - started)

    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    sage_extra = ["--epochs", str(args.sage_epochs), "--ensemble", "1", "--patience", str(args.sage_epochs + 1)]
    lightgcn_extra = ["--epochs", str(args.lightgcn_epochs), "--patience", str(args.lightgcn_epochs + 1)]
    plan = [("sage-accel", "sage", accel, sage_extra), ("sage-cpu", "sage", "cpu", sage_extra),
            ("ease-accel", "ease", accel, []), ("ease-cpu", "ease", "cpu", []),
            ("lightgcn-accel", "lightgcn", accel, lightgcn_extra), ("lightgcn-cpu", "lightgcn", "cpu", lightgcn_extra)]
    runs: dict[str, Path] = {}
    for key, model, device, extra in plan:
        if budget_left() < args.step_reserve:
            report.data["skipped"].append(f"{key}: {budget_left():.0f} s of the budget left")
            print(f"skip {key}: budget", flush=True)
            continue
        runs_dir = work / key
        runs_dir.mkdir(parents=True, exist_ok=True)
        try:
            run_dir, wall = train_with_cli(graph, model, device, runs_dir, extra)
        except BaseException as e:  # one failed step must not lose the others' figures
            if isinstance(e, KeyboardInterrupt):
                raise
            failure(report, key, e)
            continue
        fig = {"model": model, "device": device, **run_figures(run_dir, wall)}
        report.data["steps"][key] = fig
        runs[key] = run_dir
        print(f"  {key} (--device {device}): wall {wall:.1f} s, train {fig['train_s']:.2f} s, "
              + (f"{fig['epochs']} epochs, {fig['s_per_epoch_median_after_first']:.3f} s/epoch (median after the "
                 f"first; first {fig['first_epoch_s']:.3f} s), " if model != "ease" else "")
              + f"RMSE {fig['rmse']:.4f}, NDCG@10 {fig['ndcg@10']:.4f}", flush=True)
        report.save()

    steps = report.data["steps"]
    for model in ("sage", "ease", "lightgcn"):
        a, c = steps.get(f"{model}-accel"), steps.get(f"{model}-cpu")
        if a and c:
            for metric, tol in (("ndcg@10", args.tol_ndcg), ("rmse", args.tol_rmse)):
                diff = abs(float(a[metric]) - float(c[metric]))
                report.check(f"{model} |Δ{metric}| {accel} vs cpu", diff, tol, diff <= tol)

    from movierec.gnn.training.run_dir import load_run

    report.data["top_k"] = {}
    for model in ("sage", "ease", "lightgcn"):
        if f"{model}-cpu" not in runs:
            continue
        if budget_left() < args.step_reserve / 2:
            report.data["skipped"].append(f"top-k {model}: {budget_left():.0f} s of the budget left")
            continue
        try:
            run = load_run(runs[f"{model}-cpu"])
            edge_index, _, _ = run.split()
            order = torch.argsort(edge_index[0], stable=True)
            rated = (edge_index[0][order].long(), edge_index[1][order].long())  # all rated pairs, as writeback masks
            cpu_s, cpu_top, chunks = time_top_k(run, rated, None, args.chunk)
            acc_s, acc_top, _ = time_top_k(run, rated, accel, args.chunk)
            big_s, big_top, _ = time_top_k(run, rated, accel, args.big_chunk)
        except Exception as e:
            failure(report, f"top-k {model}", e)
            continue
        overlap = min(top_k_overlap(cpu_top, acc_top), top_k_overlap(cpu_top, big_top))
        fig: dict[str, Any] = {"run": str(run.path), "users": len(run.user_ids), "movies": len(run.movie_ids),
                               "k": 20, "chunk": args.chunk, "chunks": chunks, "cpu_s": cpu_s, "accel": accel,
                               "accel_s": acc_s, "big_chunk": args.big_chunk, "accel_s_big_chunk": big_s,
                               "overlap_with_cpu": overlap}
        report.data["top_k"][model] = fig
        print(f"  top-20 of {fig['users']:,} users x {fig['movies']:,} movies ({model}, the CPU-trained run): "
              f"cpu {cpu_s:.3f} s, {accel} {acc_s:.3f} s (chunk {args.chunk}), {big_s:.3f} s (chunk "
              f"{args.big_chunk}); same movies as cpu: {overlap:.4f}", flush=True)
        report.check(f"top-k {model} overlap {accel} vs cpu", overlap, args.min_overlap, overlap >= args.min_overlap)

    report.data["elapsed_s"] = time.perf_counter() - started
    report.data["complete"] = not report.data["skipped"]
    report.save()
    print_summary(report.data, accel)
    failed = [c["check"] for c in report.data["checks"] if not c["ok"]]
    if failed:
        print(f"FAILED: {'; '.join(failed)}", flush=True)
        return 1
    if report.data["skipped"]:
        print(f"INCOMPLETE (budget {args.budget:.0f} s): skipped {'; '.join(report.data['skipped'])}", flush=True)
        return 2
    return 0


def print_summary(data: dict[str, Any], accel: str) -> None:
    steps, top = data["steps"], data.get("top_k", {})
    ratings = data["graph"].get("ratings")
    print(f"\n== summary: {accel} vs cpu on {f'{ratings:,}' if ratings else 'the'} ratings "
          f"({data['environment']['gpu'] or 'no GPU'}, {data['environment']['cpu_threads']} CPU threads)")
    sa, sc = steps.get("sage-accel"), steps.get("sage-cpu")
    if sa and sc:
        a, c = sa["s_per_epoch_median_after_first"], sc["s_per_epoch_median_after_first"]
        print(f"sage s/epoch (median after the first): cpu {c:.3f}, {accel} {a:.3f}  -> {c / a:.1f}x")
    la, lc = steps.get("lightgcn-accel"), steps.get("lightgcn-cpu")
    if la and lc:
        a, c = la["s_per_epoch_median_after_first"], lc["s_per_epoch_median_after_first"]
        print(f"lightgcn s/epoch (median after the first): cpu {c:.3f}, {accel} {a:.3f}  -> {c / a:.1f}x")
    ea, ec = steps.get("ease-accel"), steps.get("ease-cpu")
    if ea and ec:
        print(f"ease fit s (closed form; closed_form.py fits it on CPU whatever --device): cpu {ec['train_s']:.2f}, "
              f"--device {accel} {ea['train_s']:.2f}")
    for model, fig in top.items():
        a, b = fig["accel_s"], fig["accel_s_big_chunk"]
        print(f"top-20 of all {fig['users']:,} users ({model}): cpu {fig['cpu_s']:.3f} s, {accel} {a:.3f} s "
              f"(-> {fig['cpu_s'] / a:.1f}x), {accel} chunk {fig['big_chunk']} {b:.3f} s (-> {fig['cpu_s'] / b:.1f}x)")
    print(f"elapsed {data['elapsed_s']:.0f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/gpu_check.py", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("manifest")
    p.add_argument("graph")
    p.add_argument("--ratings", type=int)
    p.add_argument("--source", default="movierec synth + python -m bench.graph_file")
    p.add_argument("--out", required=True)
    sub.add_parser("import-check")
    p = sub.add_parser("run")
    p.add_argument("--data", required=True)
    p.add_argument("--manifest")
    p.add_argument("--accel", default="cuda", help="the device under test (cpu: a CPU stand-in, for testing)")
    p.add_argument("--json", help="write the figures here")
    p.add_argument("--work", default="/tmp/gpu-check")
    p.add_argument("--sage-epochs", type=int, default=10)
    p.add_argument("--lightgcn-epochs", type=int, default=5)
    p.add_argument("--chunk", type=int, default=1024, help="users per top-k chunk (writeback's default)")
    p.add_argument("--big-chunk", type=int, default=8192)
    p.add_argument("--tol-ndcg", type=float, default=0.01)
    p.add_argument("--tol-rmse", type=float, default=0.01)
    p.add_argument("--min-overlap", type=float, default=0.95)
    p.add_argument("--budget", type=float, default=420.0, help="seconds; steps that would start later are skipped")
    p.add_argument("--step-reserve", type=float, default=60.0, help="seconds a training step needs to start")
    p.add_argument("--stub-neo4j", action="store_true", help="stub the driver even where it is installed")
    args = parser.parse_args(argv)
    if args.cmd == "manifest":
        return cmd_manifest(args)
    if args.cmd == "import-check":
        return cmd_import_check(args)
    return cmd_run(args)


if __name__ == "__main__":
    sys.exit(main())
