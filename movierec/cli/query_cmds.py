"""CLI commands that write results back and read them: writeback, score, recommend, similar, runs, pipeline.

The commands only parse options, call the library (:mod:`movierec.cypher.queries`, :mod:`movierec.gnn.writeback`,
:mod:`ingest`, :mod:`gnn`) and print.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click
from tqdm import tqdm

from movierec import cypher
from movierec.cli.ingest_cmds import ingest_bars
from movierec.cli.options import neo4j_options, neo4j_options_named, quiet_option
from movierec.core.db import Graph, connect
from movierec.core.errors import NotFoundError
from movierec.core.settings import Neo4jSettings
from movierec.cypher.queries import (
    Recommendations,
    active_run,
    find_movie,
    model_runs,
    recommend,
    similar,
)

COMMANDS: list[click.Command] = []

# -- printing ---------------------------------------------------------------------------------------


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, list):
        return "|".join(str(v) for v in value)
    return str(value)


def table(rows: Sequence[dict[str, Any]], columns: Sequence[str], widths: dict[str, int] | None = None) -> str:
    """Rows as a plain text table; long cells are cut to ``widths[column]`` characters."""
    widths = widths or {}
    cells = [[_fmt(row.get(c)) for c in columns] for row in rows]
    for line in cells:
        for i, c in enumerate(columns):
            if c in widths and len(line[i]) > widths[c]:
                line[i] = line[i][: widths[c] - 1] + "…"
    size = [max([len(c)] + [len(line[i]) for line in cells]) for i, c in enumerate(columns)]
    out = ["  ".join(c.ljust(size[i]) for i, c in enumerate(columns)).rstrip()]
    out += ["  ".join(v.ljust(size[i]) for i, v in enumerate(line)).rstrip() for line in cells]
    return "\n".join(out)


def _json_default(value: Any) -> Any:
    if hasattr(value, "iso_format"):
        return value.iso_format()
    return str(value)


def _echo_recommendations(result: Recommendations, fmt: str, explain: bool) -> None:
    if fmt == "json":
        click.echo(json.dumps(asdict(result), indent=2, default=_json_default))
        return
    head = f"userId {result.user_id}: "
    if result.source == "model":
        head += f"active run {result.run_id}"
    else:
        head += f"{result.source.replace('_', ' ')} ({result.note})"
    click.echo(head)
    if not result.rows:
        click.echo("  (no recommendations match)")
        return
    columns = ["rank", "movieId", "title", "year", "genres", "score"]
    if result.source == "model":
        columns.append("predictedRating")
    click.echo(table(result.rows, columns, widths={"title": 45, "genres": 40}))
    if explain:
        for row in result.rows:
            reasons = "; ".join(
                f"{b['title']} (you: {b['yourRating']:g}, genres: {', '.join(b['sharedGenres']) or '-'}, "
                f"{b['coRaters']} co-raters)" for b in row.get("because", [])
            )
            click.echo(f"  {row['rank']:>2}. {row['title']}: because you rated {reasons or 'nothing related'}")


# -- commands -----------------------------------------------------------------------------------------

_format_option = click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
                              show_default=True, help="Output format.")


@click.command("recommend")
@click.option("--user", "user_id", type=int, required=True, help="The user's userId.")
@click.option("--k", type=click.IntRange(min=1), default=10, show_default=True, help="How many movies.")
@click.option("--genre", help="Only movies in this genre (exact name, e.g. Comedy).")
@click.option("--explain", is_flag=True, help="Say which of the user's highly rated movies lead to each one.")
@click.option("--fallback", is_flag=True,
              help="Answer without a model: popular movies for an unknown user, collaborative filtering when "
                   "no run is active or it has nothing for the user.")
@_format_option
@neo4j_options_named("--neo4j-user")
def recommend_cmd(user_id: int, k: int, genre: str | None, explain: bool, fallback: bool, fmt: str,
                  settings: Neo4jSettings) -> None:
    """Recommend movies to a user from the active model run (cypher/recommend_for_user.cypher).

    Example:

        movierec recommend --user 42 --k 10 --genre Comedy --explain
    """
    with connect(settings) as graph:
        result = recommend(graph, user_id, k=k, genre=genre, fallback=fallback, explain=explain)
    _echo_recommendations(result, fmt, explain)


@click.command("similar")
@click.option("--movie", "movie_id", type=int, help="The movie's movieId.")
@click.option("--title", help='The movie\'s title, e.g. "Toy Story" or "Toy Story (1995)".')
@click.option("--k", type=click.IntRange(min=1), default=10, show_default=True, help="How many movies.")
@_format_option
@neo4j_options
def similar_cmd(movie_id: int | None, title: str | None, k: int, fmt: str, settings: Neo4jSettings) -> None:
    """Movies nearest to one in the learned embedding space (vector index movie_embedding).

    Example:

        movierec similar --title "Toy Story" --k 5
    """
    if (movie_id is None) == (title is None):
        raise click.UsageError("give exactly one of --movie ID and --title TITLE")
    with connect(settings) as graph:
        movie = find_movie(graph, movie_id, title)
        rows = similar(graph, movie, k)
    if fmt == "json":
        click.echo(json.dumps({"movie": movie, "similar": rows}, indent=2, default=_json_default))
        return
    click.echo(f"movies similar to {movie['movieId']}: {movie['title']} ({movie['year']})")
    click.echo(table(rows, ["movieId", "title", "year", "genres", "score"], widths={"title": 45, "genres": 40}))


@click.command("runs")
@_format_option
@neo4j_options
def runs_cmd(fmt: str, settings: Neo4jSettings) -> None:
    """List the model runs written back, the active one first, with their metrics.

    Example:

        movierec runs --format json
    """
    with connect(settings) as graph:
        rows = model_runs(graph)
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, default=_json_default))
        return
    if not rows:
        click.echo("no model runs yet: run `movierec pipeline` or `movierec writeback RUN`")
        return
    for row in rows:
        for key, value in row["metrics"].items():
            if isinstance(value, (int, float)) and key.lower() in {"rmse", "mae", "recall@10", "ndcg@10"}:
                row[key] = value
        row["active"] = "*" if row["active"] else ""
    columns = ["active", "runId", "model", "createdAt", "recommendations", "rmse", "mae", "recall@10", "ndcg@10"]
    click.echo(table(rows, columns))


class _Bars:
    """tqdm bars (rows/s) for :class:`movierec.gnn.writeback.Progress`, on stderr."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.bar: tqdm[Any] | None = None

    def phase(self, name: str, total: int) -> None:
        self.close()
        if not self.quiet and total:
            self.bar = tqdm(total=total, desc=f"{name:>15}", unit=" rows", unit_scale=True, file=sys.stderr,
                            dynamic_ncols=True)

    def advance(self, n: int) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _load_run(path: Path | str) -> Any:
    from movierec.gnn.run import load_run

    return load_run(path)


def _write_back(graph: Graph, run: Any, k: int, batch_size: int, chunk_size: int, quiet: bool) -> Any:
    from movierec.gnn.writeback import Progress, write_back

    bars = _Bars(quiet)
    try:
        return write_back(graph, run, k=k, batch_size=batch_size, chunk_size=chunk_size,
                          progress=Progress(phase=bars.phase, advance=bars.advance))
    finally:
        bars.close()


def _echo_writeback(result: Any) -> None:
    click.echo(
        f"run {result.run_id} is active: {result.recommendations:,} recommendations for {result.users:,} users "
        f"(k={result.k}), {result.embeddings:,} embeddings of {result.dimensions} dims"
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


_writeback_options = [
    click.option("--k", type=click.IntRange(min=1), default=20, show_default=True, help="Recommendations per user."),
    click.option("--batch-size", type=click.IntRange(min=1), default=200, show_default=True,
                 help="Users per write transaction."),
    click.option("--chunk-size", type=click.IntRange(min=1), default=1024, show_default=True,
                 help="Users scored at once (bounds memory)."),
]


def _with(options: list[Any]) -> Any:
    def decorate(func: Any) -> Any:
        for option in reversed(options):
            func = option(func)
        return func

    return decorate


@click.command("writeback")
@click.argument("run_path", metavar="RUN", type=click.Path(exists=True, file_okay=False, path_type=Path))
@_with(_writeback_options)
@neo4j_options
@quiet_option
def writeback_cmd(run_path: Path, k: int, batch_size: int, chunk_size: int, settings: Neo4jSettings,
                  quiet: bool) -> None:
    """Write a trained run back into Neo4j and make it the active run.

    For every user, the top-K movies they have not rated become RECOMMENDED
    relationships; embeddings go to User.embedding / Movie.embedding with vector
    indexes; a ModelRun node records the run. Queries keep reading the previous run
    until the switch, which is one transaction; an interrupted writeback leaves the
    previous run active and is finished by running the same command again.

    Example:

        movierec writeback runs/lightgcn-20260101-120000 --k 20
    """
    run = _load_run(run_path)
    with connect(settings) as graph:
        result = _write_back(graph, run, k, batch_size, chunk_size, quiet)
    _echo_writeback(result)


@click.command("score")
@click.option("--user", "user_id", type=int, required=True, help="The user's userId.")
@click.option("--movie", "movie_id", type=int, required=True, help="The movie's movieId.")
@click.option("--run", "run_path", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="The run's folder. [default: the active run's]")
@_format_option
@neo4j_options_named("--neo4j-user")
def score_cmd(user_id: int, movie_id: int, run_path: Path | None, fmt: str, settings: Neo4jSettings) -> None:
    """Score one (user, movie) pair with a trained model: ranking score and predicted rating.

    Also shows the user's actual rating, if any, and the movie's rank among the
    user's recommendations in the active run.

    Example:

        movierec score --user 42 --movie 1
    """
    import torch

    with connect(settings) as graph:
        run_info = active_run(graph)
        if run_path is None:
            if run_info is None or not run_info.get("path"):
                raise NotFoundError("no model run is active: give --run RUN_DIR")
            run_path = Path(run_info["path"])
        if not run_path.is_dir():
            raise NotFoundError(f"the run folder {run_path} does not exist any more: give --run RUN_DIR")
        run = _load_run(run_path)
        if user_id not in run.user_ids:
            raise NotFoundError(f"userId {user_id} is not in run {run.run_id}")
        if movie_id not in run.movie_ids:
            raise NotFoundError(f"movieId {movie_id} is not in run {run.run_id}")
        context = graph.read(cypher.load("read_pair"), userId=user_id, movieId=movie_id)
    ui, mi = run.user_ids.index(user_id), run.movie_ids.index(movie_id)
    with torch.no_grad():
        scores = run.score(torch.tensor([ui]))[0]
        predicted = float(run.predict_rating(torch.tensor([ui]), torch.tensor([mi]))[0])
    row = {
        "userId": user_id, "movieId": movie_id, "runId": run.run_id, "score": float(scores[mi]),
        "predictedRating": predicted,
        "scoreRank": int((scores > scores[mi]).sum()) + 1,
        "title": context[0]["title"] if context else None,
        "rating": context[0]["rating"] if context else None,
        "recommendedRank": context[0]["rank"] if context else None,
    }
    if fmt == "json":
        click.echo(json.dumps(row, indent=2))
        return
    click.echo(f"userId {user_id} x movieId {movie_id} ({row['title']}), run {run.run_id}")
    click.echo(f"  score {row['score']:.4f} (rank {row['scoreRank']} of all {len(run.movie_ids)} movies, "
               "rated ones included)")
    click.echo(f"  predicted rating {predicted:.2f}")
    if row["rating"] is not None:
        click.echo(f"  actual rating {row['rating']:g}")
    if row["recommendedRank"] is not None:
        click.echo(f"  recommended at rank {row['recommendedRank']} by the active run")




@click.command("pipeline")
@click.option("--path", "path", type=click.Path(path_type=Path),
              help="A MovieLens release directory or .zip, e.g. ../shared/datasets/ml-latest-small.")
@click.option("--download", "download", metavar="NAME",
              help="Fetch this GroupLens release (e.g. ml-latest-small) instead of --path.")
@click.option("--model", type=click.Choice(["lightgcn", "sage"]), default="lightgcn", show_default=True,
              help="lightgcn: trained for top-K ranking (BPR); sage: rating regression.")
@click.option("--epochs", type=click.IntRange(min=1), help="Maximum training epochs. [default: per model]")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the split and of training.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True)
@click.option("--runs-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("runs"),
              show_default=True, help="Parent of the run directory.")
@click.option("--sample-users", metavar="IDS", default="1,2,3", show_default=True,
              help="userIds whose recommendations are printed at the end.")
@_with(_writeback_options)
@neo4j_options
@quiet_option
def pipeline_cmd(path: Path | None, download: str | None, model: str, epochs: int | None, seed: int, device: str,
                 runs_dir: Path, sample_users: str, k: int, batch_size: int, chunk_size: int,
                 settings: Neo4jSettings, quiet: bool) -> None:
    """The whole loop: ingest MovieLens, train a GNN, write it back, print recommendations.

    Ingest (validated, idempotent) -> export the graph from Neo4j -> split 80/10/10 ->
    train (a run directory under --runs-dir) -> write back top-K recommendations,
    embeddings and vector indexes (atomic switch to the new run) -> print a few users'
    recommendations and the movies nearest to Toy Story. Rerunning it trains and
    activates a new run; the previous run's recommendations are replaced.

    Example:

        movierec pipeline --path ../shared/datasets/ml-latest-small --model lightgcn
    """
    import time

    from movierec.gnn.config import SplitConfig, TrainConfig
    from movierec.gnn.export import export_graph
    from movierec.gnn.run import train_run
    from movierec.gnn.split import split_edges
    from movierec.gnn.train import resolve_device
    from movierec.ingest.load import ingest_release

    if (path is None) == (download is None):
        raise click.UsageError("give exactly one of --path DIR_OR_ZIP and --download NAME")
    try:
        users = [int(v) for v in sample_users.replace(" ", "").split(",") if v]
    except ValueError as e:
        raise click.BadParameter(f"{sample_users!r} is not a comma-separated list of userIds") from e
    resolve_device(device)
    config = TrainConfig.for_model(model, seed=seed, device=device, epochs=epochs, split=SplitConfig(seed=seed))
    say = (lambda _m: None) if quiet else (lambda m: click.echo(m, err=True))
    started = time.perf_counter()
    if download is not None:
        from movierec.ingest.download import download_release

        path = download_release(download, progress=ingest_bars(quiet, unit="B", width=15))
    assert path is not None
    with connect(settings) as graph:
        say(f"[1/4] ingest {path}")
        summary = ingest_release(graph, path, progress=ingest_bars(quiet, width=15))
        click.echo(f"ingested {summary.dataset}: " + ", ".join(f"{n:,} {label}" for label, n in summary.nodes.items())
                   + ", " + ", ".join(f"{n:,} {rel}" for rel, n in summary.relationships.items())
                   + f" in {summary.seconds:.1f} s")

        say(f"[2/4] export and train {model}")
        with tqdm(desc="export", unit=" ratings", disable=quiet, file=sys.stderr) as bar:

            def on_edges(n: int) -> None:
                bar.update(n - bar.n)

            data, stats = export_graph(graph, on_edges=on_edges)
        split = split_edges(data, config.split)
        total = config.epochs * (config.ensemble if model == "sage" else 1)
        with tqdm(total=total, desc=f"train {model}", unit="epoch", disable=quiet, file=sys.stderr) as epochs_bar:

            def on_epoch(row: dict[str, Any]) -> None:
                if "batch" not in row:  # whole epochs only
                    epochs_bar.update(1)

            run = train_run(data, split, config, runs_dir=runs_dir, export_stats=stats, progress=on_epoch)
        m = run.metrics
        click.echo(f"trained {run.run_id} ({m.get('epochs')} epochs): test RMSE {m.get('rmse', float('nan')):.4f}, "
                   f"Recall@10 {m.get('recall@10', float('nan')):.4f}, NDCG@10 {m.get('ndcg@10', float('nan')):.4f}")

        say(f"[3/4] write back {run.run_id}")
        result = _write_back(graph, run, k, batch_size, chunk_size, quiet)
        _echo_writeback(result)

        say("[4/4] sample")
        for user_id in users:
            try:
                recs = recommend(graph, user_id, k=5)
            except NotFoundError as e:
                click.echo(f"userId {user_id}: {e}")
                continue
            click.echo("")
            _echo_recommendations(recs, "table", explain=False)
        try:
            toy = find_movie(graph, title="Toy Story")
            click.echo(f"\nmovies nearest to {toy['title']} ({toy['year']}) in the embedding space:")
            click.echo(table(similar(graph, toy, 5), ["movieId", "title", "year", "score"], widths={"title": 45}))
        except NotFoundError as e:
            click.echo(f"\n{e}")
    click.echo(f"\npipeline done in {time.perf_counter() - started:.0f} s; try `movierec recommend --user 1 --explain`")


COMMANDS.extend([pipeline_cmd, writeback_cmd, score_cmd, recommend_cmd, similar_cmd, runs_cmd])
