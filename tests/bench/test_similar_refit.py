"""``bench.similar_refit``: a run's ``similar.pt`` recomputed with or without the genre factor, and what fold-in
reads from it (``TrainedRun.similar_genre_weight``)."""

from __future__ import annotations

from pathlib import Path

import torch
from click.testing import CliRunner

from bench.graph_file import release_graph
from bench.similar_refit import refit
from movierec.cli import cli
from movierec.gnn.data.export import save_heterodata
from movierec.gnn.serving.similar import GENRE_WEIGHT
from movierec.gnn.training.run_dir import load_run


def kinds_release(folder: Path) -> Path:
    """Users 1-10 rated movie 10 (a cartoon), 11 (a cartoon), 12 and 13 (horror films); users 11 and 12 rated 11 and
    12 too. By co-ratings alone 13 is movie 10's first neighbour (10 / 20 against 10 / 22); by the genres, 11."""
    folder.mkdir()
    movies = ["movieId,title,genres", "10,Cartoon A (2000),Animation|Children",
              "11,Cartoon B (2001),Animation|Children", "12,Horror A (2000),Horror", "13,Horror B (2001),Horror"]
    (folder / "movies.csv").write_text("\n".join(movies) + "\n")
    ratings = ["userId,movieId,rating,timestamp"]
    ratings += [f"{u},{m},4.0,{1_600_000_000 + 60 * (4 * u + m)}" for u in range(1, 11) for m in (10, 11, 12, 13)]
    ratings += [f"{u},{m},3.0,{1_700_000_000 + 60 * (2 * u + m)}" for u in (11, 12) for m in (11, 12)]
    (folder / "ratings.csv").write_text("\n".join(ratings) + "\n")
    return folder


def test_refit_scores_with_the_genres_and_records_their_weight(tmp_path: Path) -> None:
    graph_file = tmp_path / "graph.pt"
    save_heterodata(release_graph(kinds_release(tmp_path / "release")), graph_file)
    trained = CliRunner().invoke(cli, ["train", "--data", str(graph_file), "--model", "ease", "--device", "cpu",
                                       "--runs-dir", str(tmp_path / "runs"), "-q"])
    assert trained.exit_code == 0, trained.output
    (path,) = (tmp_path / "runs").iterdir()

    def first_of_cartoon_a() -> tuple[int, float]:
        run = load_run(path)
        movies, scores = run.similar()
        row = run.movie_ids.index(10)
        return run.movie_ids[int(movies[row, 0])], float(scores[row, 0])

    # movierec train scores with the genres and says so in similar.pt
    assert load_run(path).similar_genre_weight() == GENRE_WEIGHT
    assert first_of_cartoon_a() == (11, torch.tensor(10 / 22).item())
    assert refit(path, with_genres=False) >= 0
    assert load_run(path).similar_genre_weight() == 0.0
    movie, score = first_of_cartoon_a()
    assert movie == 13 and score == torch.tensor(10 / 20).item()
    refit(path)
    assert load_run(path).similar_genre_weight() == GENRE_WEIGHT and first_of_cartoon_a()[0] == 11
    # a run saved before the factor (no genre_weight in similar.pt) folds in without it
    state = torch.load(path / "similar.pt", weights_only=True)
    del state["genre_weight"]
    torch.save(state, path / "similar.pt")
    assert load_run(path).similar_genre_weight() == 0.0
    (path / "similar.pt").unlink()
    assert load_run(path).similar_genre_weight() == 0.0
