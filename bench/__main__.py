"""``python -m bench STAGE --size N``: measure a pipeline stage against its peers.

Stages: ``ingest``, ``export``, ``train``, ``writeback``, ``query``, or ``all`` (in that
order, on one graph), plus ``plot`` (PNG of throughput against size from result JSON files).
Every table gives each figure absolute and as a ratio to a peer measured in the same run;
the JSON (``--json``) holds the same figures and the machine they were measured on.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

import click

from bench.context import Context
from bench.datasets import from_path, parse_size, resolve
from bench.machine import machine_info
from bench.report import StageResult, render, write_json
from bench.server import DEFAULT_BOLT_PORT, DEFAULT_HTTP_PORT, BenchServer, ServerOptions, bench_root
from movierec.core.errors import MovierecError

logger = logging.getLogger("bench")

STAGES = ("ingest", "export", "train", "writeback", "query")


def _echo(message: str) -> None:
    click.echo(message, err=True)


def _default_other_python() -> str | None:
    return os.environ.get("BENCH_OTHER_PYTHON") or None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Benchmarks of every movierec stage against its peers.

    Example:

        MOVIEREC_HOME=/tmp/bench python -m bench all --size 1000000 --json bench/results/all-1M.json
    """


def _stage_command(stage: str) -> click.Command:
    @click.command(name=stage, help=f"Measure the {stage} stage" + (" (every stage, in order)." if stage == "all"
                                                                     else " against its peers."))
    @click.option("--size", default="small", show_default=True,
                  help="Ratings: 'small' (or 0) = ml-latest-small, else N for a synthetic release (1M, 1000000).")
    @click.option("--path", "release", type=click.Path(exists=True, file_okay=False, path_type=Path),
                  help="Use this MovieLens CSV release instead of --size.")
    @click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path),
                  help="Write the results here. [default: <MOVIEREC_HOME>/results/STAGE-SIZE-TIME.json]")
    @click.option("--heap", default=lambda: os.environ.get("BENCH_NEO4J_HEAP", "2g"), show_default="2g",
                  help="Neo4j heap of the harness's server (BENCH_NEO4J_HEAP).")
    @click.option("--pagecache", default=lambda: os.environ.get("BENCH_NEO4J_PAGECACHE", "2g"), show_default="2g",
                  help="Neo4j page cache (BENCH_NEO4J_PAGECACHE).")
    @click.option("--bolt-port", default=DEFAULT_BOLT_PORT, show_default=True, type=int)
    @click.option("--http-port", default=DEFAULT_HTTP_PORT, show_default=True, type=int)
    @click.option("--batch-size", default=10_000, show_default=True, type=int,
                  help="Rows per transaction (movierec's writes and LOAD CSV).")
    @click.option("--duration", default=5.0, show_default=True, type=float,
                  help="Seconds per query-load measurement.")
    @click.option("--epochs", default=2, show_default=True, type=int, help="Epochs per training measurement.")
    @click.option("--other-python", default=_default_other_python, show_default="$BENCH_OTHER_PYTHON",
                  help="A second interpreter the export stage also runs in, e.g. a venv without neo4j-rust-ext "
                       "(rows are labelled by whether the driver there has the extension).")
    @click.option("--fetch-size", "fetch_sizes", multiple=True, type=int, default=(10_000,),
                  show_default=True, help="Driver fetch sizes the export stage tries (repeat the option, e.g. "
                                          "--fetch-size 1000 --fetch-size 10000).")
    @click.option("--peers", default="admin,loadcsv,bare", show_default=True,
                  help="Ingest peers to run: admin (neo4j-admin import), loadcsv, bare (the ratings as bare "
                       "CREATEs: the server's floor for the ratings phase), or none.")
    @click.option("--time-limit", type=float, default=None,
                  help="Seconds movierec's ingest may run; if it does not finish, its progress is reported.")
    @click.option("--stop/--keep", default=False, show_default=True,
                  help="Stop the harness's Neo4j at the end (--keep leaves the graph up for the next stage).")
    @click.option("-v", "--verbose", count=True)
    def command(size: str, release: Path | None, json_out: Path | None, heap: str, pagecache: str, bolt_port: int,
                http_port: int, batch_size: int, duration: float, epochs: int, other_python: str | None,
                fetch_sizes: tuple[int, ...], peers: str, time_limit: float | None, stop: bool,
                verbose: int) -> None:
        level = logging.INFO if verbose else logging.WARNING
        logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        logging.getLogger("neo4j").setLevel(logging.WARNING)
        if verbose:
            logging.getLogger("bench").setLevel(logging.INFO)
        try:
            _run(stage, size, release, json_out, heap, pagecache, bolt_port, http_port, batch_size, duration, epochs,
                 other_python or None, tuple(fetch_sizes), peers, time_limit, stop)
        except MovierecError as e:
            raise click.ClickException(str(e)) from e

    return command


def _run(stage: str, size: str, release: Path | None, json_out: Path | None, heap: str, pagecache: str,
         bolt_port: int, http_port: int, batch_size: int, duration: float, epochs: int, other_python: str | None,
         fetch_sizes: tuple[int, ...], peers: str, time_limit: float | None, stop: bool) -> None:
    started = time.perf_counter()
    stamp = dt.datetime.now(dt.timezone.utc)
    dataset = from_path(release) if release is not None else resolve(parse_size(size))
    options = ServerOptions.from_env(bolt_port, http_port, heap, pagecache)
    ctx = Context(dataset=dataset, server=options, batch_size=batch_size, duration=duration, epochs=epochs,
                  other_python=other_python, fetch_sizes=fetch_sizes,
                  peers=tuple(p.strip() for p in peers.split(",") if p.strip() and p.strip() != "none"),
                  time_limit=time_limit)
    _echo(f"bench {stage}: {dataset.name}, {dataset.ratings:,} ratings ({dataset.path})")
    stages = STAGES if stage == "all" else (stage,)
    results: list[StageResult] = []
    timings: dict[str, float] = {}
    machine = machine_info()
    meta: dict[str, Any] = {"command": " ".join(["python -m bench", *sys.argv[1:]]), "started": stamp.isoformat(),
            "server_options": {"heap": heap, "pagecache": pagecache, "batch_size": batch_size}}
    out = json_out or bench_root() / "results" / f"{stage}-{dataset.name}-{stamp:%Y%m%dT%H%M%S}.json"
    try:
        for name in stages:
            t0 = time.perf_counter()
            module = importlib.import_module(f"bench.{name}")
            result: StageResult = module.run(ctx)
            timings[name] = time.perf_counter() - t0
            result.extra["stage_seconds"] = timings[name]
            results.append(result)
            click.echo(render(result) + "\n")
            meta["seconds"] = time.perf_counter() - started
            write_json(out, results, machine, meta)  # after every stage: a later failure keeps the earlier ones
    finally:
        server = BenchServer(options, "graph")
        machine["neo4j"] = server.version() if server.running() else None
        meta["seconds"] = time.perf_counter() - started
        meta["stage_seconds"] = timings
        if results:
            write_json(out, results, machine, meta)
        if stop:
            server.stop()
    _echo(f"bench {stage}: {time.perf_counter() - started:.0f} s in all "
          f"({', '.join(f'{k} {v:.0f} s' for k, v in timings.items())}); results in {out}")
    _echo(f"machine: {machine['cores']} cores, {machine['ram_gib']} GiB, {machine['cpu']}, "
          f"load {machine['load_avg_1m']}")


for _stage in (*STAGES, "all"):
    main.add_command(_stage_command(_stage))


@main.command(name="plot")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", "out_dir", default=Path("docs"), show_default=True, type=click.Path(path_type=Path),
              help="Folder for bench_<stage>.png.")
def plot_command(files: tuple[Path, ...], out_dir: Path) -> None:
    """Plot throughput against size per stage from result JSON files.

    Example:

        python -m bench plot bench/results/*.json --out docs
    """
    from bench.plot import plot_files

    for path in plot_files(list(files), out_dir):
        click.echo(str(path))


@main.command(name="tables")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def tables_command(files: tuple[Path, ...]) -> None:
    """Print the tables of result JSON files again (as text blocks, for BENCHMARKS.md).

    Example:

        python -m bench tables bench/results/all-1M.json
    """
    import json

    from bench.report import from_json

    for path in files:
        data = json.loads(path.read_text())
        machine = data["machine"]
        click.echo(f"`{data.get('command')}` — {data.get('started', '')[:16]} UTC, {machine['cores']} cores, "
                   f"{machine['ram_gib']} GiB, {machine['cpu']}, load {machine['load_avg_1m']}, "
                   f"Neo4j {machine.get('neo4j')}, driver {machine['neo4j_driver']}, torch {machine['torch']}, "
                   f"{data.get('seconds', 0):.0f} s in all\n")
        for stage in from_json(data):
            click.echo("```\n" + render(stage) + "\n```\n")


if __name__ == "__main__":
    main()
