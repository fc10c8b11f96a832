"""CLI commands of the ingest stage; each is registered by appending it to COMMANDS."""

from __future__ import annotations

from pathlib import Path

import click

from movierec.cli.options import neo4j_options, neo4j_options_named, progress_bars, quiet_option
from movierec.core.db import connect
from movierec.core.settings import Neo4jSettings
from movierec.ingest.load import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_WORKERS,
    IngestSummary,
    ingest_release,
)
from movierec.ingest.movielens import DATASETS

COMMANDS: list[click.Command] = []


def _echo_summary(summary: IngestSummary) -> None:
    click.echo(f"ingested {summary.dataset} from {summary.source} in {summary.seconds:.1f} s")
    for label, count in summary.nodes.items():
        click.echo(f"  (:{label}) {count:>12,}")
    for rel, count in summary.relationships.items():
        click.echo(f"  [:{rel}] {count:>12,}")
    phases = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in summary.phase_seconds.items())
    click.echo(f"  phases: {phases}")
    if summary.rows.get("ratings"):
        click.echo(f"  ratings: {summary.rows['ratings']:,} at {summary.ratings_per_second:,.0f} ratings/s")


@click.command()
@click.option("--path", "path", type=click.Path(exists=False, path_type=Path),
              help="A release directory or .zip as GroupLens ships it.")
@click.option("--download", "download", metavar="NAME", type=click.Choice(DATASETS),
              help="Fetch this GroupLens release into the cache (checksum verified) and ingest it.")
@click.option("--dataset", type=click.Choice(DATASETS), help="The release's format. [default: detected from the files]")
@click.option("--batch-size", type=click.IntRange(min=1), default=DEFAULT_BATCH_SIZE, show_default=True,
              help="Rows per transaction.")
@click.option("--workers", type=click.IntRange(min=1), default=DEFAULT_WORKERS, show_default=True,
              help="Write transactions in flight at once (movies, users, ratings, tags).")
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where --download keeps archives. [default: $MOVIEREC_CACHE/datasets]")
@neo4j_options
@quiet_option
def ingest(path: Path | None, download: str | None, dataset: str | None, batch_size: int, workers: int,
           cache_dir: Path | None, settings: Neo4jSettings, quiet: bool) -> None:
    """Load a MovieLens release into Neo4j: validated first, then batched, idempotent MERGEs.

    Reads ml-100k, ml-1m, ml-10m and the CSV releases (ml-20m, ml-25m, ml-32m,
    ml-latest, ml-latest-small) from a directory or a .zip. The whole input is
    checked before anything is written; bad input is one line naming the file and
    line, and leaves the database unchanged. Rerunning the same command (after an
    interruption, or on a newer release) completes or updates the graph without
    duplicates.

    Example:

        movierec ingest --path ../shared/datasets/ml-latest-small
    """
    if (path is None) == (download is None):
        raise click.UsageError("give exactly one of --path DIR_OR_ZIP and --download NAME")
    if download is not None:
        from movierec.ingest.download import download_release

        path = download_release(download, cache_dir=cache_dir, progress=progress_bars(quiet, unit="B", width=8))
        dataset = dataset or download
    assert path is not None
    with connect(settings) as graph:
        if not quiet:
            click.echo(f"reading and validating {path} ...", err=True)
        summary = ingest_release(graph, path, dataset=dataset, batch_size=batch_size, workers=workers,
                                 progress=progress_bars(quiet, width=8))
    _echo_summary(summary)


COMMANDS.append(ingest)


def _default_reference() -> Path | None:
    import os

    root = Path(os.environ.get("MOVIELENS_DIR") or Path.cwd().parent / "shared" / "datasets")
    candidate = root / "ml-latest-small"
    return candidate if (candidate / "ratings.csv").exists() else None


@click.command()
@click.option("--ratings", "n_ratings", type=click.IntRange(min=1), required=True, help="Ratings to write.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Directory to write the release into.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed (same seed, same files).")
@click.option("--like", "reference", type=click.Path(exists=True, path_type=Path),
              help="Release whose activity distributions to resample. "
                   "[default: $MOVIELENS_DIR/ml-latest-small if present, else built-in fits of it]")
@quiet_option
def synth(n_ratings: int, out: Path, seed: int, reference: Path | None, quiet: bool) -> None:
    """Write a synthetic MovieLens release (ml-25m CSV layout) of any size, for benchmarks.

    Users and movies have the long-tailed activity of real MovieLens (resampled
    from ml-latest-small), ratings its half-star histogram; the same --seed gives
    the same files. Ingest the result like any release.

    Example:

        movierec synth --ratings 1000000 --out /tmp/synth-1m --seed 0 && movierec ingest --path /tmp/synth-1m
    """
    from movierec.ingest.synth import synthesize

    summary = synthesize(n_ratings, out, seed=seed, reference=reference or _default_reference())
    if not quiet:
        click.echo(f"distributions from {summary.reference}", err=True)
    click.echo(
        f"wrote {summary.out}: {summary.users:,} users, {summary.movies:,} movies, {summary.ratings:,} ratings, "
        f"{summary.tags:,} tags in {summary.seconds:.1f} s"
    )


COMMANDS.append(synth)


@click.command("rate")
@click.option("--user", "user_id", metavar="USER_ID", required=True,
              help="The user's userId (a new one creates the user).")
@click.option("--movie", "movie_id", metavar="MOVIE_ID", required=True, help="The movie's movieId.")
@click.option("--rating", metavar="STARS", required=True, help="0.5 to 5 in half stars, as in MovieLens.")
@neo4j_options_named("--neo4j-user")
def rate(user_id: str, movie_id: str, rating: str, settings: Neo4jSettings) -> None:
    """Write one rating the way ingest does: validated, MERGEd, timestamped now.

    One RATED per (user, movie): rating again replaces the rating and its
    timestamp. A new userId creates the user. The user is marked
    (User.ratingsChangedAt) so that `movierec refresh` updates their
    recommendations. An unknown movie, or a rating outside 0.5-5 or not in half
    stars, is one line and writes nothing.

    Example:

        movierec rate --user 1001 --movie 1 --rating 4.5
    """
    from movierec.ingest.rate import check_id, check_rating, rate_movie

    # Checked before connecting: bad input is reported even when the server is down.
    user, movie, value = check_id("userId", user_id), check_id("movieId", movie_id), check_rating(rating)
    with connect(settings) as graph:
        written = rate_movie(graph, user, movie, value)
    who = f"new user {written.user_id}" if written.new_user else f"user {written.user_id}"
    was = f" (was {written.previous:g})" if written.previous is not None else ""
    click.echo(f"{who} rated movie {written.movie_id} ({written.movie}) {written.rating:g}{was}; "
               "run `movierec refresh` to update their recommendations")


COMMANDS.append(rate)
