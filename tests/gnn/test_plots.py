"""The pictures of a run: the movie map's genre families, and a combined run's curve with one line per part."""

from __future__ import annotations

from pathlib import Path

import torch

from movierec.gnn.evaluation.plots import GENRE_GROUPS, genre_group, plot_curve, plot_movies

GENRES = ["Action", "Animation", "Children", "Comedy", "Drama", "Horror", "Romance", "Sci-Fi"]


def test_each_movie_is_coloured_by_its_first_genre_family() -> None:
    rows = [["Animation", "Comedy"], ["Comedy"], ["Comedy", "Romance"], ["Horror", "Sci-Fi"], [], ["Drama"]]
    matrix = torch.tensor([[float(g in row) for g in GENRES] for row in rows])
    names = [GENRE_GROUPS[i][0] if i >= 0 else None for i in genre_group(matrix, GENRES).tolist()]
    assert names == ["Animation / Children", "Comedy", "Romance / Musical", "Horror / Thriller", None,
                     "Drama / Crime"]
    assert len(GENRE_GROUPS) <= 8


def test_the_pictures_are_drawn_for_a_combined_runs_history(tmp_path: Path) -> None:
    history = [{"member": "lightgcn", "epoch": e, "loss": 5.0 - e, "val_ndcg@10": 0.1 * e} for e in range(1, 4)]
    history += [{"member": "gcmc", "epoch": e, "loss": 1.0 / e, "val_rmse": 0.9 - 0.01 * e} for e in range(1, 5)]
    plot_curve(history, tmp_path / "curve.png", "combined")
    matrix = torch.eye(len(GENRES)).repeat(5, 1)
    plot_movies(torch.randn(len(matrix), 6), matrix, GENRES, torch.arange(len(matrix)), None, tmp_path / "m.png",
                "combined")
    assert (tmp_path / "curve.png").stat().st_size > 10_000 and (tmp_path / "m.png").stat().st_size > 10_000
