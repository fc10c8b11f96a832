"""CLI commands that put a trained run to work: writeback, score, and the whole pipeline.

The commands only parse options, call the library (:func:`movierec.gnn.serving.writeback.write_back`,
:func:`movierec.score.score_pair`, :func:`movierec.pipeline.run_pipeline`) and print.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import click
from tqdm import tqdm

from movierec.cli.options import (
    check_parts,
    model_option,
    neo4j_options,
    neo4j_options_named,
    parts_options,
    progress_bars,
    quiet_option,
    stack,
)
from movierec.cli.query_cmds import echo_recommendations, format_option, table
from movierec.core.db import connect
from movierec.core.errors import NotFoundError
from movierec.core.settings import Neo4jSettings
from movierec.gnn.models.registry import config_for, model_class

COMMANDS: list[click.Command] = []
RATING_TOLERANCE = 1e-4  # the run directory's and Cypher's predicted ratings agree within this (float32 vs float64)


def _load_run(path: Path) -> Any:
    from movierec.gnn.training.run_dir import load_run

    return load_run(path)


def _echo_writeback(result: Any) -> None:
    click.echo(
        f"run {result.run_id} is active: {result.recommendations:,} recommendations for {result.users:,} users "
        f"(k={result.k}), {result.embeddings:,} embeddings of {result.dimensions} dims"
        + (f", {result.similar:,} similar movies" if result.similar else "")
    )
    if result.resumed_users:
        click.echo(f"  resumed: {result.resumed_users:,} users were already written")
    click.echo(
        f"  scoring {result.scoring_s:.2f} s, writing {result.writing_s:.2f} s "
        f"({result.rows_per_s:,.0f} rows/s), total {result.total_s:.2f} s"
    )
    click.echo("  steps: " + ", ".join(f"{name} {sec:.2f} s" for name, sec in result.step_seconds.items()))
    if result.previous_run_ids:
        click.echo(f"  replaced {', '.join(result.previous_run_ids)}; deleted {result.deleted:,} old relationships")
    if result.skipped_user_ids or result.skipped_movie_ids:
        click.echo(f"  skipped {result.skipped_user_ids} users and {result.skipped_movie_ids} movies not in the graph")


_writeback_options = stack([
    click.option("--k", type=click.IntRange(min=1), default=20, show_default=True, help="Recommendations per user."),
    click.option("--batch-size", type=click.IntRange(min=1), default=200, show_default=True,
                 help="Users per write transaction."),
    click.option("--chunk-size", type=click.IntRange(min=1), default=1024, show_default=True,
                 help="Users scored at once (bounds memory)."),
])


@click.command("writeback")
@click.argument("run_path", metavar="RUN", type=click.Path(exists=True, file_okay=False, path_type=Path))
@_writeback_options
@neo4j_options
@quiet_option
def writeback_cmd(run_path: Path, k: int, batch_size: int, chunk_size: int, settings: Neo4jSettings,
                  quiet: bool) -> None:
    """Write a trained run back into Neo4j and make it the active run.

    For every user, the top-K movies they have not rated become RECOMMENDED
    relationships; embeddings go to User.embedding / Movie.embedding, with a vector
    index on Movie.embedding; a ModelRun node records the run. Queries keep reading
    the previous run until the switch, which is one transaction; an interrupted
    writeback leaves the previous run active and is finished by running the same
    command again, as is one that lost a race with another writeback.

    Example:

        movierec writeback runs/20260101-120000-ease --k 20
    """
    from movierec.gnn.serving.writeback import write_back

    run = _load_run(run_path)
    with connect(settings) as graph:
        result = write_back(graph, run, k=k, batch_size=batch_size, chunk_size=chunk_size,
                            progress=progress_bars(quiet))
    _echo_writeback(result)


@click.command("score")
@click.option("--user", "user_id", type=int, required=True, help="The user's userId.")
@click.option("--movie", "movie_id", type=int, required=True, help="The movie's movieId.")
@click.option("--run", "run_path", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="The run's folder. [default: the active run's]")
@format_option
@neo4j_options_named("--neo4j-user")
def score_cmd(user_id: int, movie_id: int, run_path: Path | None, fmt: str, settings: Neo4jSettings) -> None:
    """Score one (user, movie) pair with a trained model: ranking score and predicted rating.

    Also shows the user's actual rating, if any, the movie's rank among the
    user's recommendations in the active run, and, for the active run, the same
    predicted rating computed in Cypher (cypher/predict_rating.cypher) from the
    rating model stored in the graph.

    Example:

        movierec score --user 42 --movie 1
    """
    from movierec.score import active_run_dir, score_pair

    with connect(settings) as graph:
        pair = score_pair(graph, user_id, movie_id, _load_run(run_path or active_run_dir(graph)))
    if fmt == "json":
        click.echo(json.dumps(pair.to_json(), indent=2))
        return
    click.echo(f"userId {user_id} x movieId {movie_id} ({pair.title}), run {pair.run_id}")
    click.echo(f"  score {pair.score:.4f} (rank {pair.score_rank} of all {pair.movies} movies, "
               "rated ones included)")
    click.echo(f"  predicted rating {pair.predicted_rating:.4f} ({_in_cypher(pair)})")
    if pair.rating is not None:
        click.echo(f"  actual rating {pair.rating:g}")
    if pair.recommended_rank is not None:
        click.echo(f"  recommended at rank {pair.recommended_rank} by the active run")


def _in_cypher(pair: Any) -> str:
    """What Cypher's ``predict_rating`` says about the pair, beside the run directory's rating."""
    if pair.active_run_id != pair.run_id:
        return f"not checked in Cypher: predict_rating reads the active run, {pair.active_run_id or 'none'}"
    if pair.cypher_rating is None:
        return "Cypher predict_rating: none, the graph holds no rating model for this pair: write the run back again"
    if abs(pair.cypher_rating - pair.predicted_rating) > RATING_TOLERANCE:
        return (f"Cypher predict_rating: {pair.cypher_rating:.4f}, differs: the graph holds the user's fold-in rating "
                "model (`movierec refresh`, from their current ratings) or an older writeback of this run")
    return f"Cypher predict_rating: {pair.cypher_rating:.4f}"


@click.command("pipeline")
@click.option("--path", "path", type=click.Path(path_type=Path),
              help="A MovieLens release directory or .zip, e.g. ../shared/datasets/ml-latest-small.")
@click.option("--download", "download", metavar="NAME",
              help="Fetch this GroupLens release (e.g. ml-latest-small) instead of --path.")
@model_option()
@parts_options()
@click.option("--epochs", type=click.IntRange(min=1), help="Maximum training epochs. [default: per model]")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the split and of training.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True)
@click.option("--runs-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("runs"),
              show_default=True, help="Parent of the run directory.")
@click.option("--sample-users", metavar="IDS", default="1,2,3", show_default=True,
              help="userIds whose recommendations are printed at the end.")
@_writeback_options
@neo4j_options
@quiet_option
def pipeline_cmd(path: Path | None, download: str | None, model: str, epochs: int | None, seed: int, device: str,
                 runs_dir: Path, sample_users: str, k: int, batch_size: int, chunk_size: int,
                 settings: Neo4jSettings, quiet: bool, **parts: str | None) -> None:
    """The whole loop: ingest MovieLens, train a GNN, write it back, print recommendations.

    Ingest (validated, idempotent) -> export the graph from Neo4j -> split 80/10/10 ->
    train the default run (combined: lightgcn ranks, gcmc predicts ratings and gives the embeddings) or --model
    (a run directory under --runs-dir) -> write back top-K recommendations,
    embeddings and the movie vector index (atomic switch to the new run) -> print a few users'
    recommendations and the movies nearest to Toy Story. Rerunning it trains and
    activates a new run; the previous run's recommendations are replaced.

    Example:

        movierec pipeline --path ../shared/datasets/ml-latest-small
    """
    from movierec.cypher.queries import find_movie, recommend, similar
    from movierec.gnn.data.split import SplitConfig
    from movierec.gnn.training.train import resolve_device
    from movierec.pipeline import STEPS, run_pipeline

    if (path is None) == (download is None):
        raise click.UsageError("give exactly one of --path DIR_OR_ZIP and --download NAME")
    try:
        users = [int(v) for v in sample_users.replace(" ", "").split(",") if v]
    except ValueError as e:
        raise click.BadParameter(f"{sample_users!r} is not a comma-separated list of userIds") from e
    resolve_device(device)
    check_parts(model, parts)
    config = config_for(model, seed=seed, device=device, epochs=epochs, split=SplitConfig(seed=seed), **parts)
    started = time.perf_counter()
    if download is not None:
        from movierec.ingest.download import download_release

        path = download_release(download, progress=progress_bars(quiet, unit="B"))
    assert path is not None
    total = model_class(model).epochs_in_total(config)
    steps = len(STEPS) + 1

    def on_step(i: int, name: str) -> None:
        if not quiet:
            click.echo(f"[{i + 1}/{steps}] {name}", err=True)

    with connect(settings) as graph, tqdm(total=total, desc=f"train {model}", unit="epoch", disable=quiet,
                                          file=sys.stderr, delay=0.5) as epochs_bar:

        def on_epoch(row: dict[str, Any]) -> None:
            if "batch" not in row:  # whole epochs only
                epochs_bar.update(1)

        result = run_pipeline(graph, path, config, runs_dir=runs_dir, k=k, batch_size=batch_size,
                              chunk_size=chunk_size, progress=progress_bars(quiet), on_epoch=on_epoch,
                              on_step=on_step)
        summary, run = result.ingest, result.run
        click.echo(f"ingested {summary.dataset}: " + ", ".join(f"{n:,} {label}" for label, n in summary.nodes.items())
                   + ", " + ", ".join(f"{n:,} {rel}" for rel, n in summary.relationships.items())
                   + f" in {summary.seconds:.1f} s")
        m = run.metrics
        nan = float("nan")
        click.echo(f"trained {run.run_id} in {m.get('train_seconds', 0.0):.0f} s: test RMSE {m.get('rmse', nan):.4f}, "
                   f"Recall@10 {m.get('recall@10', nan):.4f}, NDCG@10 {m.get('ndcg@10', nan):.4f}")
        click.echo(f"serving {model_class(run.model).describe(run.config)}")
        _echo_writeback(result.writeback)

        on_step(len(STEPS), "sample")
        for user_id in users:
            try:
                recs = recommend(graph, user_id, k=5)
            except NotFoundError as e:
                click.echo(f"userId {user_id}: {e}")
                continue
            click.echo("")
            echo_recommendations(recs, "table", explain=False)
        try:
            toy = find_movie(graph, title="Toy Story")
            click.echo(f"\nmovies nearest to {toy['title']} ({toy['year']}) by co-ratings and genres "
                       "(rated by the same users):")
            click.echo(table(similar(graph, toy, 10), ["movieId", "title", "year", "score"], widths={"title": 45}))
        except NotFoundError as e:
            click.echo(f"\n{e}")
    click.echo(f"\npipeline done in {time.perf_counter() - started:.0f} s; try `movierec recommend --user 1 --explain`")


COMMANDS.extend([pipeline_cmd, writeback_cmd, score_cmd])
