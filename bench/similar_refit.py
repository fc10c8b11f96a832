"""Recompute a run directory's ``similar.pt`` with this version's measure: ``python -m bench.similar_refit RUN``.

``--without-genres`` leaves the genre factor out (``n_ij / (n_j + λ)`` alone, the measure before it), to time the
factor's cost on the same run.

For benchmarking a run trained before ``SIMILAR``'s measure changed (``gnn/serving/similar.py``) without training
it again: the movies' neighbours are recomputed from the run's own rating edges (all of them, as ``movierec
train`` does) with its ``similar_k``, and the file is replaced in one rename. Prints the seconds it took.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import torch

from movierec.gnn.serving.similar import GENRE_WEIGHT, similar_movies
from movierec.gnn.training.run_dir import load_run


def refit(path: Path, with_genres: bool = True) -> float:
    """Replace ``path/similar.pt``; returns the seconds the computation took."""
    run = load_run(path)
    edge_index, _, _ = run.split()
    # the genre one-hots are the first columns of the movie features (the exporter adds the year's two after them)
    movie_x = run.features()[1]
    genres = (movie_x[:, :-2] > 0).float() if with_genres and movie_x is not None and movie_x.size(1) > 2 else None
    start = time.perf_counter()
    weight = GENRE_WEIGHT if genres is not None else 0.0
    movies, scores = similar_movies(edge_index, len(run.user_ids), len(run.movie_ids), k=run.config.similar_k,
                                    genres=genres, genre_weight=weight)
    seconds = time.perf_counter() - start
    tmp = path / "similar.pt.tmp"
    torch.save({"movies": movies.long().contiguous(), "scores": scores.float().contiguous(), "genre_weight": weight},
               tmp)
    os.replace(tmp, path / "similar.pt")
    return seconds


if __name__ == "__main__":
    with_genres = "--without-genres" not in sys.argv[1:]
    for arg in (a for a in sys.argv[1:] if not a.startswith("--")):
        seconds = refit(Path(arg), with_genres)
        print(f"{arg}: similar.pt recomputed{'' if with_genres else ' without genres'} in {seconds:.1f} s", flush=True)
