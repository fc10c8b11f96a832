"""CLI commands of the gnn stage: ``export``, ``train``, ``evaluate`` (registered by appending to COMMANDS)."""

from __future__ import annotations

import contextlib
import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from movierec.cli.options import check_parts, model_option, neo4j_options, parts_options, quiet_option, stack
from movierec.core.settings import Neo4jSettings
from movierec.gnn.models.registry import config_for, model_class

COMMANDS: list[click.Command] = []


def _int_list(text: str | None) -> tuple[int, ...]:
    if not text:
        return ()
    try:
        return tuple(int(v) for v in text.replace(" ", "").split(",") if v)
    except ValueError as e:
        raise click.BadParameter(f"{text!r} is not a comma-separated list of userIds") from e


def filter_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Subgraph filters (``--where`` and the single-purpose options); the command receives ``where``."""

    @functools.wraps(func)
    def wrapper(*args: Any, where_text: str | None, min_year: int | None, max_year: int | None,
                genre: tuple[str, ...], users: str | None, rated_after: str | None, rated_before: str | None,
                **kwargs: Any) -> Any:
        from movierec.gnn.data.where import SubgraphFilter, parse_datetime, parse_where

        try:
            fields: dict[str, Any] = parse_where(where_text) if where_text else {}
            explicit = {"min_year": min_year, "max_year": max_year, "genres": genre or None,
                        "users": _int_list(users) or None,
                        "rated_after": parse_datetime(rated_after) if rated_after else None,
                        "rated_before": parse_datetime(rated_before) if rated_before else None}
        except ValueError as e:
            raise click.BadParameter(str(e)) from e
        fields.update({k: v for k, v in explicit.items() if v is not None})
        return func(*args, where=SubgraphFilter(**fields), **kwargs)

    return stack([
        click.option("--where", "where_text", metavar="EXPR",
                     help="Subgraph filter, clauses joined by 'and': year >= 2000, genre in (Comedy, Drama), "
                          "user in (1,2), rated >= 2015-01-01, rated < 2016-01-01. Values become Cypher parameters."),
        click.option("--min-year", type=int, help="Movies released in this year or later."),
        click.option("--max-year", type=int, help="Movies released in this year or earlier."),
        click.option("--genre", multiple=True, help="Movies in this genre (repeat for any of several)."),
        click.option("--users", metavar="IDS", help="Only these userIds, comma-separated."),
        click.option("--rated-after", metavar="DATE", help="Ratings at or after this date (ISO, UTC)."),
        click.option("--rated-before", metavar="DATE", help="Ratings before this date (ISO, UTC)."),
    ])(wrapper)


def _export(settings: Neo4jSettings, where: Any, quiet: bool) -> tuple[Any, Any]:
    from tqdm import tqdm

    from movierec.core.db import connect
    from movierec.gnn.data.export import export_graph

    with connect(settings) as graph, tqdm(desc="export", unit=" ratings", disable=quiet, file=sys.stderr) as bar:

        def on_edges(n: int) -> None:
            bar.update(n - bar.n)

        data, stats = export_graph(graph, where, on_edges=on_edges)
        bar.update(stats.edges - bar.n)
    return data, stats


@click.command("export")
@neo4j_options
@filter_options
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Where to save the HeteroData (torch.save).")
@click.option("--compare-scan", is_flag=True, help="Also time a bare driver scan of the same records.")
@quiet_option
def export_cmd(settings: Neo4jSettings, where: Any, out: Path, compare_scan: bool, quiet: bool) -> None:
    """Export a subgraph from Neo4j to a PyTorch Geometric HeteroData file.

    Node types user and movie (genres as movie multi-hot features), edge type
    (user, rates, movie) with the rating in edge_label and the time; node_id tensors map
    tensor indices back to userId / movieId. Load it with movierec.gnn.data.export.load_heterodata.

    Example:

        movierec export --where "year >= 2000 and genre = Comedy" --out comedy.pt
    """
    from movierec.core.db import connect
    from movierec.gnn.data.export import bare_scan, save_heterodata

    data, stats = _export(settings, where, quiet)
    save_heterodata(data, out)
    click.echo(f"exported {stats.users} users, {stats.movies} movies, {stats.edges} ratings ({where.describe()}) "
               f"to {out}: {stats.edges_per_second:,.0f} ratings/s")
    if compare_scan:
        with connect(settings) as graph:
            n, seconds = bare_scan(graph, where)
        click.echo(f"bare driver scan of the same {n} records: {n / seconds:,.0f} records/s")


COMMANDS.append(export_cmd)


@click.command("train")
@neo4j_options
@filter_options
@model_option()
@click.option("--data", "data_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Train on a graph saved by `movierec export` instead of reading Neo4j (filters then do not apply).")
@click.option("--split", "split_method", type=click.Choice(["random", "temporal"]), default="random",
              show_default=True, help="random: fractions of all ratings; temporal: per user, the latest held out.")
@click.option("--val-fraction", type=float, default=0.1, show_default=True)
@click.option("--test-fraction", type=float, default=0.1, show_default=True)
@click.option("--test-ratings", type=click.Path(dir_okay=False, path_type=Path),
              help="Ratings file (any MovieLens format, e.g. ml-100k u1.test) whose pairs are the test set.")
@parts_options()
@click.option("--epochs", type=int, help="Maximum epochs. [default: per model]")
@click.option("--hidden", type=int, help="Embedding / hidden size. [default: 64, lightgcn 128, gcmc 256]")
@click.option("--layers", type=int, help="Message-passing layers. [default: sage 1, lightgcn 2]")
@click.option("--lr", type=float, help="Learning rate. [default: per model]")
@click.option("--weight-decay", type=float,
              help="L2 penalty. [default: 1e-4, lightgcn 0, gcmc 30 (on the user vectors)]")
@click.option("--dropout", type=float,
              help="Dropout: sage, of node vectors [default: 0.3]; gcmc, of the encoder's edges [default: 0.75].")
@click.option("--patience", type=int, help="Early stopping patience in epochs. [default: per model]")
@click.option("--ensemble", type=int, help="sage: models averaged (seeds seed, seed+1, ...). [default: 3]")
@click.option("--batch-size", type=click.IntRange(min=0),
              help="lightgcn: users per softmax step (0: 5 steps an epoch, >= 128 users); "
                   "sage --minibatch: targets per step.")
@click.option("--temperature", type=click.FloatRange(min=0, min_open=True),
              help="lightgcn: softmax temperature over the cosines. [default: 0.2]")
@click.option("--low-rating-weight", type=click.FloatRange(min=0),
              help="lightgcn: target weight of a training rating below 4 stars (4+: 1). [default: 0.3]")
@click.option("--softmax", type=click.Choice(["auto", "full", "sampled"]),
              help="lightgcn: full softmax over every movie, or sampled negatives (auto: full up to 20,000 movies).")
@click.option("--negatives", type=click.IntRange(min=1),
              help="lightgcn: negatives per sampled-softmax step. [default: 1000]")
@click.option("--weighting", type=click.Choice(["rating", "binary"]),
              help="ease/gfcf: edge weights of the user x movie graph. [default: rating]")
@click.option("--ease-lambda", type=float, help="ease: the L2 weight. [default: chosen on the validation edges]")
@click.option("--keep", type=click.IntRange(min=0),
              help="ease: entries of B kept per column, 0 for all (5x larger run, slightly better). [default: 1000]")
@click.option("--minibatch", is_flag=True, default=None,
              help="sage: train on sampled neighbourhoods (plain-torch sampler, no pyg-lib needed).")
@click.option("--num-neighbors", metavar="N[,N...]", help="--minibatch fan-out per layer. [default: 20]")
@click.option("--loader", type=click.Choice(["memory", "neo4j"]), default="memory", show_default=True,
              help="sage: 'neo4j' trains on batches of PyG's LinkLoader over the Neo4j remote stores (implies "
                   "--minibatch; no export).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the split and of training.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True)
@click.option("--runs-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("runs"),
              show_default=True, help="Parent of the run directory.")
@quiet_option
def train_cmd(settings: Neo4jSettings, where: Any, model: str, data_file: Path | None, split_method: str,
              val_fraction: float, test_fraction: float, test_ratings: Path | None, seed: int, device: str,
              runs_dir: Path, quiet: bool, num_neighbors: str | None, loader: str, **hyper: Any) -> None:
    """Export the (filtered) graph, train a model on the training edges and write a run directory.

    The run directory (runs/<time>-<model>) holds config.json, weights, the id mappings,
    the scorers and final embeddings, the split, history.csv, metrics.json and curve.png.
    Test and validation ratings are left out of the message graph. The same command runs
    on CPU or CUDA; --seed makes a CPU run deterministic.

    With --loader neo4j (sage) there is no export: the topology and ratings are read once
    into PyG's remote stores and each training batch comes from PyG's LinkLoader over them,
    its movies' features fetched from Neo4j (README, "PyG remote backend").

    Example:

        movierec train --seed 0 && movierec train --model lightgcn --genre Comedy

        movierec train --model sage --loader neo4j --ensemble 1
    """

    from movierec.gnn.data.export import load_heterodata
    from movierec.gnn.data.split import SplitConfig, read_test_pairs, split_edges
    from movierec.gnn.training.train import resolve_device

    resolve_device(device)  # fail before exporting
    if loader not in model_class(model).loaders:
        allowed = " or ".join(model_class(model).loaders)
        raise click.BadParameter(f"{model} trains from --loader {allowed}, not {loader}", param_hint="--loader")
    if loader == "neo4j":
        if data_file is not None:
            raise click.BadParameter("--loader neo4j reads Neo4j: drop --data", param_hint="--loader")
        hyper["minibatch"] = True
    check_parts(model, {name: hyper[name] for name in ("ranker", "rating_model", "embedding_model")})
    split_config = SplitConfig(method="file" if test_ratings else split_method,  # type: ignore[arg-type]
                               val_fraction=val_fraction, test_fraction=test_fraction, seed=seed,
                               test_file=str(test_ratings) if test_ratings else None)
    try:
        neighbors = tuple(int(v) for v in num_neighbors.split(",")) if num_neighbors else None
    except ValueError as e:
        raise click.BadParameter(f"{num_neighbors!r} is not a comma-separated list of integers",
                                 param_hint="--num-neighbors") from e
    try:
        config = config_for(model, seed=seed, device=device, split=split_config, num_neighbors=neighbors,
                            loader=loader, **hyper)
    except (TypeError, ValueError) as e:
        raise click.BadParameter(str(e)) from e
    test_pairs = read_test_pairs(test_ratings) if test_ratings else None
    with contextlib.ExitStack() as resources:
        if loader == "neo4j":
            from movierec.core.db import connect
            from movierec.gnn.data.remote import Neo4jFeatureStore, Neo4jGraphStore, stores_graph

            graph = resources.enter_context(connect(settings))  # open while training: batches come from it
            data, stats = stores_graph(Neo4jFeatureStore(graph, Neo4jGraphStore(graph, where), settings=settings)), None
        elif data_file is not None:
            data, stats = load_heterodata(data_file), None
        else:
            data, stats = _export(settings, where, quiet)
        run = _train(data, split_edges(data, split_config, test_pairs), config, model, runs_dir, where, stats, quiet)
    m = run.metrics
    k = config.k
    click.echo(f"run {run.run_id} written to {run.path}")
    click.echo(f"test RMSE {m['rmse']:.4f}  MAE {m['mae']:.4f}  Recall@{k} {m[f'recall@{k}']:.4f}  "
               f"NDCG@{k} {m[f'ndcg@{k}']:.4f}  ({model_class(run.model).training_summary(m)})")


def _train(data: Any, split: Any, config: Any, model: str, runs_dir: Path, where: Any, stats: Any, quiet: bool
           ) -> Any:
    from tqdm import tqdm

    from movierec.gnn.training.run import train_run

    total = model_class(model).epochs_in_total(config)
    with tqdm(total=total, desc=f"train {model}", unit="epoch", disable=quiet, file=sys.stderr) as bar:

        def progress(row: dict[str, Any]) -> None:
            if "batch" in row:  # a mini-batch step inside a (long) epoch
                bar.set_postfix({"batch": f"{row['batch']}/{row['batches']}", "loss": f"{row['loss']:.4f}"})
                return
            bar.update(1)
            bar.set_postfix({k: f"{v:.4f}" for k, v in row.items() if k in ("loss",) or k.startswith("val_")})

        return train_run(data, split, config, runs_dir=runs_dir, where=where, export_stats=stats, progress=progress)


COMMANDS.append(train_cmd)


@click.command("evaluate")
@click.argument("run_dir", metavar="RUN", type=click.Path(path_type=Path))
@click.option("--metrics-out", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the table as JSON (keys model, baselines).")
@quiet_option
def evaluate_cmd(run_dir: Path, metrics_out: Path | None, quiet: bool) -> None:
    """Print a run's test metrics beside the baselines fitted on the same split.

    Baselines: global mean, user + item bias, matrix factorisation (torch) and popularity
    (ranking only), all fitted on the run's training edges and measured on its test edges.
    Ranking: all movies a user did not rate in training; relevant = test rating >= 4.

    Example:

        movierec evaluate runs/20261128-233000-sage --metrics-out metrics.json
    """
    from movierec.gnn.evaluation.evaluate import evaluate_run
    from movierec.gnn.training.run_dir import load_run

    run = load_run(run_dir)
    if not quiet:
        click.echo(f"evaluating {run.run_id} and the baselines on its split ...", err=True)
    evaluation = evaluate_run(run)
    click.echo(evaluation.table())
    if metrics_out is not None:
        metrics_out.write_text(json.dumps(evaluation.to_json(), indent=2) + "\n", encoding="utf-8")
        click.echo(f"metrics written to {metrics_out}")


COMMANDS.append(evaluate_cmd)
