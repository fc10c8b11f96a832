"""Top-K scoring against the machine's limit: ``python -m bench.scoring RUN [--writeback-out FILE] [--json OUT]``.

The writeback ranks every user of a run (rated movies masked, top-20) before it writes anything
(:func:`movierec.gnn.serving.topk.score_users`). Its peer is the bare loop of the issue, in the same process:
random 64-dim factors of the run's own shapes, chunks of 2,048 users, ``U @ M.T`` then ``topk(20)``, nothing
else; plus ``torch.mm``'s GFLOP/s on one 2,048 x 64 x M product. Rows:

- **bare U @ M.T + topk** [peer];
- **movierec top-K scoring**: ``score_users`` on every user of the run, rated pairs taken from the run's own
  edges (``split.pt``: every rating of its export), so no database is needed;
- **writeback's scoring phase** (with ``--writeback-out``): the ``scoring … s`` that ``movierec writeback`` printed
  for the same run, the figure the issue's goal is about.

Example:

    python -m bench.scoring /tmp/p25/runs/20261130-003236-ease --writeback-out /tmp/p25/writeback.out
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import time
from pathlib import Path

import torch

from bench.machine import machine_info
from bench.report import Row, StageResult, Target, ratio, render, write_json

K = 20
PEER_CHUNK = 2_048
PEER_DIMS = 64
GOAL = 1.3  # the writeback's scoring ÷ the bare loop


@torch.no_grad()
def bare_peer_seconds(users: int, movies: int, dims: int = PEER_DIMS, chunk: int = PEER_CHUNK, k: int = K) -> float:
    """Seconds for ``topk(U @ M.T, k)`` over ``users`` random ``dims``-dim factors, ``chunk`` users at a time."""
    g = torch.Generator().manual_seed(0)
    user_f, movie_f = torch.randn(users, dims, generator=g), torch.randn(movies, dims, generator=g)
    started = time.perf_counter()
    for start in range(0, users, chunk):
        torch.topk(user_f[start : start + chunk] @ movie_f.T, k, dim=1)
    return time.perf_counter() - started


@torch.no_grad()
def mm_gflops(movies: int, dims: int = PEER_DIMS, chunk: int = PEER_CHUNK, repeat: int = 5) -> float:
    """``torch.mm``'s GFLOP/s on ``[chunk, dims] @ [dims, movies]``, best of ``repeat``."""
    a, b = torch.randn(chunk, dims), torch.randn(dims, movies)
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - started)
    return 2 * chunk * dims * movies / best / 1e9


def movierec_seconds(run_path: Path) -> tuple[float, int, int, int]:
    """Seconds of :func:`score_users` over every user of the run (rated pairs: the run's edges); users, movies,
    ratings."""
    from movierec.gnn.serving.topk import score_users
    from movierec.gnn.training.run_dir import load_run

    run = load_run(run_path)
    edge_index, _, _ = run.split()
    order = torch.argsort(edge_index[0], stable=True)
    rated = (edge_index[0][order].contiguous(), edge_index[1][order].contiguous())
    users = torch.arange(len(run.user_ids))
    started = time.perf_counter()
    score_users(run, rated, K, users, torch.zeros(len(run.movie_ids), dtype=torch.bool))
    return time.perf_counter() - started, len(run.user_ids), len(run.movie_ids), int(edge_index.shape[1])


def writeback_scoring_seconds(path: Path) -> float:
    """The ``scoring … s`` figure ``movierec writeback`` printed."""
    found = re.search(r"scoring ([\d.]+) s", path.read_text())
    if found is None:
        raise SystemExit(f"no 'scoring … s' line in {path}")
    return float(found.group(1))


def measure(run_path: Path, writeback_out: Path | None) -> StageResult:
    ours, users, movies, ratings = movierec_seconds(run_path)
    peer = bare_peer_seconds(users, movies)
    gflops = mm_gflops(movies)
    result = StageResult(stage="scoring", dataset=run_path.name, ratings=ratings, primary="seconds",
                         units={"seconds": "s", "users/s": ""})
    result.rows.append(Row("bare U @ M.T + topk", {"seconds": peer, "users/s": users / peer}, peer=True,
                           note=f"{users:,} x {movies:,}, {PEER_DIMS} dims, {PEER_CHUNK:,} users a chunk; "
                                f"torch.mm {gflops:.1f} GFLOP/s"))
    result.rows.append(Row("movierec top-K scoring", {"seconds": ours, "users/s": users / ours},
                           note="gnn.topk.score_users over every user, rated movies masked, top-20 with ratings"))
    r = ratio(ours, peer)
    result.targets.append(Target("movierec top-K scoring ÷ bare loop", r, f"≤ {GOAL}",
                                 None if r is None else r <= GOAL))
    if writeback_out is not None:
        seconds = writeback_scoring_seconds(writeback_out)
        result.rows.append(Row("writeback's scoring phase", {"seconds": seconds, "users/s": users / seconds},
                               note=f"as `movierec writeback` printed it ({writeback_out})"))
        r = ratio(seconds, peer)
        result.targets.append(Target("writeback scoring ÷ bare loop", r, f"≤ {GOAL}", None if r is None else r <= GOAL))
    result.extra.update({"gflops": gflops, "users": users, "movies": movies})
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="A run directory (movierec train).")
    parser.add_argument("--writeback-out", type=Path, help="What `movierec writeback RUN` printed, to compare too.")
    parser.add_argument("--json", type=Path, help="Also write the table here.")
    args = parser.parse_args()
    started = time.perf_counter()
    result = measure(args.run, args.writeback_out)
    print(render(result))
    if args.json is not None:
        write_json(args.json, [result], machine_info(),
                   {"command": f"python -m bench.scoring {args.run}", "started": dt.datetime.now(dt.timezone.utc)
                    .isoformat(), "seconds": time.perf_counter() - started})


if __name__ == "__main__":
    main()
