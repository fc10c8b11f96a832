"""Turn a CLI pipeline run (ingest → train → writeback, each under ``/usr/bin/time -v``) into a result JSON.

The 25M figures in BENCHMARKS.md come from the product's own commands rather than the harness
(its peers would take hours at that size). ``scripts/pipeline_25m.sh`` runs them, keeping each
command's stdout/stderr and ``time -v`` report in one folder; this module parses those files
into the harness's JSON layout so that ``python -m bench tables`` prints them and
``python -m bench plot`` draws them beside the harness's sizes.

Example:

    python -m bench.pipeline_record /tmp/p25 --ratings 25000000 --json bench/results/pipeline-25M.json
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import click

from bench.machine import machine_info
from bench.report import Row, StageResult, Target, render, write_json


def _time_v(path: Path) -> dict[str, float]:
    """Wall seconds and peak RSS (MiB) from a ``/usr/bin/time -v`` report."""
    text = path.read_text()
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", text)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    if wall is None or rss is None:
        raise click.ClickException(f"{path} is not a /usr/bin/time -v report")
    seconds = 0.0
    for part in wall.group(1).split(":"):
        seconds = seconds * 60 + float(part)
    return {"wall": seconds, "rss_mib": int(rss.group(1)) / 1024}


def _number(pattern: str, text: str, what: str) -> float:
    found = re.search(pattern, text)
    if found is None:
        raise click.ClickException(f"cannot find {what} in the command output")
    return float(found.group(1).replace(",", ""))


def records(folder: Path, ratings: int, dataset: str) -> list[StageResult]:
    """The ingest, export (inside train), train and writeback stages of the run kept in ``folder``."""
    ingest_out = (folder / "ingest.out").read_text()
    ingest_time = _time_v(folder / "ingest.time")
    total = _number(r"in ([\d.]+) s\n", ingest_out, "the ingest's seconds")
    phase = _number(r"ratings ([\d.]+) s", ingest_out, "the ratings phase")
    ingest = StageResult(stage="ingest", dataset=dataset, ratings=ratings, primary="ratings/s",
                         units={"ratings/s": "", "seconds": "s", "ratings phase s": "s", "client peak RSS": "MiB"})
    ingest.rows.append(Row("movierec ingest", {"ratings/s": ratings / total, "seconds": total,
                                               "ratings phase s": phase, "client peak RSS": ingest_time["rss_mib"]},
                           note="CLI `movierec ingest`; no peers at this size"))

    train_err = (folder / "train.err").read_text().replace("\r", "\n")
    train_out = (folder / "train.out").read_text()
    train_time = _time_v(folder / "train.time")
    export_s = _export_seconds(train_err)
    export = StageResult(stage="export", dataset=dataset, ratings=ratings, primary="edges/s",
                         units={"edges/s": "", "seconds": "s"})
    export.rows.append(Row("movierec export, fetch 10000", {"edges/s": ratings / export_s, "seconds": export_s},
                           note="inside `movierec train` (progress bar's elapsed time)"))
    closed = re.search(r"\(closed form, .*?([\d.]+) s\)", train_out)  # ease / gfcf: one fit, no epochs
    epoch_s = float(closed.group(1)) if closed else _number(r"\(\d+ epochs, ([\d.]+) s/epoch\)", train_out, "s/epoch")
    train = StageResult(stage="train", dataset=dataset, ratings=ratings, primary="s/epoch",
                        units={"s/epoch": "s", "edges/s": "", "peak RSS": "MiB"})
    train.rows.append(Row("movierec train", {
        "s/epoch": epoch_s, "edges/s": 0.8 * ratings / epoch_s, "peak RSS": train_time["rss_mib"]},
        note=train_out.strip().splitlines()[-1]))

    wb_out = (folder / "writeback.out").read_text()
    wb_time = _time_v(folder / "writeback.time")
    recs = _number(r"active: ([\d,]+) recommendations", wb_out, "the recommendations")
    embeddings = _number(r"([\d,]+) embeddings", wb_out, "the embeddings")
    similar_found = re.search(r"([\d,]+) similar movies", wb_out)
    similar = float(similar_found.group(1).replace(",", "")) if similar_found else 0.0
    rows = recs + embeddings + similar
    wb_total = _number(r"total ([\d.]+) s", wb_out, "the writeback's seconds")
    writing = _number(r"writing [\d.]+ s \(([\d,]+) rows/s\)", wb_out, "the writing rate")
    writeback = StageResult(stage="writeback", dataset=dataset, ratings=ratings, primary="rows/s",
                            units={"rows/s": "", "seconds": "s", "writing rows/s": "", "rows": "",
                                   "peak RSS": "MiB"})
    writeback.rows.append(Row("movierec writeback (top-20)", {
        "rows/s": rows / wb_total, "seconds": wb_total, "writing rows/s": writing,
        "rows": rows, "peak RSS": wb_time["rss_mib"]},
        note=" ".join(line.strip() for line in wb_out.strip().splitlines()[-2:])))
    ingest_rate = ratings / total
    writeback.rows.append(Row("movierec ingest (same graph)", peer=True, figures={
        "rows/s": ingest_rate, "seconds": total, "writing rows/s": None, "rows": ratings, "peak RSS": None},
        note="ratings/s of the ingest above"))
    r = rows / wb_total / ingest_rate
    writeback.targets.append(Target("writeback rows/s ÷ ingest ratings/s", r, "≥ 0.5", r >= 0.5))
    return [ingest, export, train, writeback]


def _export_seconds(train_err: str) -> float:
    """The export's seconds: its log line (``exported 25000000 ratings in 29.50 s``, with ``-v``), else the export
    bar's final elapsed time (``export: 25000000 ratings [03:08, ...]``)."""
    logged = re.findall(r"exported [\d,]+ ratings in ([\d.]+) s", train_err)
    if logged:
        return float(logged[-1])
    stamps = re.findall(r"export: [\d,]+ ratings \[(\d+):(\d+)(?::(\d+))?", train_err)
    if not stamps:
        raise click.ClickException("cannot find the export's time in train.err (run train with -v)")
    a, b, c = stamps[-1]
    return float(int(a) * 3600 + int(b) * 60 + int(c)) if c else float(int(a) * 60 + int(b))


@click.command()
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--ratings", type=int, required=True, help="Ratings in the release the pipeline loaded.")
@click.option("--dataset", default=None, help="Dataset name. [default: synth-<N/1M>M]")
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path), required=True)
def main(folder: Path, ratings: int, dataset: str | None, json_out: Path) -> None:
    """Record a CLI pipeline run kept in FOLDER (ingest/train/writeback .out, .err, .time files)."""
    name = dataset or f"synth-{ratings // 1_000_000}M"
    stages = records(folder, ratings, name)
    meta = {"command": f"scripts/pipeline_25m.sh (folder {folder})",
            "started": dt.datetime.fromtimestamp((folder / "ingest.time").stat().st_mtime, dt.timezone.utc)
            .isoformat(),
            "seconds": sum(_time_v(folder / f"{step}.time")["wall"] for step in ("ingest", "train", "writeback"))}
    write_json(json_out, stages, machine_info(), meta)
    for stage in stages:
        click.echo(render(stage) + "\n")


if __name__ == "__main__":
    main()
