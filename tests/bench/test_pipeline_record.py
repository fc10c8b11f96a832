"""bench.pipeline_record: a CLI pipeline's outputs and /usr/bin/time reports become stage results."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.pipeline_record import _time_v, records


def _time_report(wall: str, rss_kb: int) -> str:
    return (f'\tCommand being timed: "movierec ..."\n\tElapsed (wall clock) time (h:mm:ss or m:ss): {wall}\n'
            f"\tMaximum resident set size (kbytes): {rss_kb}\n\tExit status: 0\n")


def test_a_pipeline_folder_becomes_ingest_export_train_and_writeback_rows(tmp_path: Path) -> None:
    (tmp_path / "ingest.out").write_text(
        "ingested ml-latest from /data/synth-1000 in 10.0 s\n  (:User)  10\n"
        "  phases: read 1.0 s, constraints 0.1 s, movies 2.0 s, ratings 5.0 s, tags 1.0 s\n"
        "  ratings: 1,000 at 200 ratings/s\n")
    (tmp_path / "ingest.time").write_text(_time_report("0:12.50", 2048))
    (tmp_path / "train.err").write_text("export: 500 ratings [00:01, 500 ratings/s]\rexport: 1000 ratings [00:02, "
                                        "480 ratings/s]\ntrain sage: 100%|#| 1/1 [00:09<00:00, 9.0s/epoch]\n")
    (tmp_path / "train.out").write_text("run r written to /runs/r\ntest RMSE 0.9000  MAE 0.7000  Recall@10 0.0100  "
                                        "NDCG@10 0.0100  (1 epochs, 8.00 s/epoch)\n")
    (tmp_path / "train.time").write_text(_time_report("1:02:03", 4096))
    (tmp_path / "writeback.out").write_text(
        "run r is active: 2,000 recommendations for 100 users (k=20), 150 embeddings of 64 dims, "
        "1,500 similar movies\n"
        "  scoring 1.00 s, writing 2.00 s (1,075 rows/s), total 4.30 s\n  steps: preparing 0.10 s\n")
    (tmp_path / "writeback.time").write_text(_time_report("0:05.00", 1024))

    ingest, export, train, writeback = records(tmp_path, 1_000, "synth-tiny")
    assert ingest.rows[0].figures == {"ratings/s": 100.0, "seconds": 10.0, "ratings phase s": 5.0,
                                      "client peak RSS": 2.0}
    assert export.rows[0].figures == {"edges/s": 500.0, "seconds": 2.0}
    assert train.rows[0].figures == {"s/epoch": 8.0, "edges/s": 100.0, "peak RSS": 4.0}
    assert writeback.rows[0].figures == {"rows/s": pytest.approx(3650 / 4.3), "seconds": 4.3,
                                         "writing rows/s": 1075.0, "rows": 3650.0,
                                         "peak RSS": 1.0}  # RECOMMENDED + embeddings + SIMILAR
    (target,) = writeback.targets  # against the ingest's 100 ratings/s
    assert target.value == pytest.approx(3650 / 4.3 / 100) and target.met
    assert _time_v(tmp_path / "train.time")["wall"] == 3723.0


def test_a_folder_without_the_reports_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "ingest.time").write_text("not a report\n")
    (tmp_path / "ingest.out").write_text("ingested x in 1.0 s\n ratings 1.0 s\n")
    with pytest.raises(Exception, match="is not a /usr/bin/time -v report"):
        records(tmp_path, 1, "x")
