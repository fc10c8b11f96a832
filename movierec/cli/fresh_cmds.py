"""CLI commands that keep recommendations fresh without retraining: refresh.

``recommend --fresh`` (the read side) lives with ``recommend`` in :mod:`movierec.cli.query_cmds`.
"""

from __future__ import annotations

import contextlib
import signal
import time
from pathlib import Path
from typing import Any

import click

from movierec.cli.options import neo4j_options, progress_bars, quiet_option
from movierec.core.db import connect
from movierec.core.settings import Neo4jSettings
from movierec.gnn.serving.refresh import DEFAULT_REFRESH_BATCH, ActiveFoldIn, StaleRunError, refresh

COMMANDS: list[click.Command] = []


def _user_list(_ctx: click.Context, _param: click.Parameter, value: str | None) -> list[int] | None:
    if value is None:
        return None
    try:
        ids = [int(part) for part in value.split(",") if part.strip()]
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a comma-separated list of userIds") from None
    if not ids or any(not 0 <= i < 2**63 for i in ids):
        raise click.BadParameter(f"{value!r}: userIds are integers from 0 to 2^63 - 1")
    return ids


@click.command("refresh")
@click.option("--users", "user_ids", callback=_user_list, metavar="ID,ID,...",
              help="Only these users (each still only if their ratings changed). [default: every changed user]")
@click.option("--force", is_flag=True,
              help="With --users: rewrite those users whether or not their ratings look changed.")
@click.option("--k", type=click.IntRange(min=1),
              help="Recommendations per user. [default: as many as the active run's writeback wrote]")
@click.option("--watch", type=click.FloatRange(min=0.1), metavar="SECONDS",
              help="Refresh again every SECONDS until stopped (Ctrl-C leaves every user's list whole).")
@click.option("--run", "run_dir", type=click.Path(file_okay=False, path_type=Path),
              help="The active run's directory, if not where its ModelRun.path says.")
@click.option("--batch-size", type=click.IntRange(min=1), default=DEFAULT_REFRESH_BATCH, show_default=True,
              help="Users per transaction.")
@quiet_option
@neo4j_options
def refresh_cmd(user_ids: list[int] | None, force: bool, k: int | None, watch: float | None, run_dir: Path | None,
                batch_size: int, quiet: bool, settings: Neo4jSettings) -> None:
    """Rewrite RECOMMENDED for every user whose ratings changed since the active run read them, and for
    every user with ratings but no recommendations, by fold-in scoring under the active run (no retraining).

    A user is changed when a rating's timestamp, or User.ratingsChangedAt (set by ingest and `movierec rate`),
    is at or after the last time their ratings were read for the active run (the header of
    cypher/read_changed_users.cypher has the full rule). Each user's list is replaced in one transaction.

    Example:

        movierec rate --user 9999 --movie 1 --rating 5 && movierec refresh
    """
    if force and user_ids is None:
        raise click.UsageError("--force rewrites the users named by --users: give --users ID,ID,...")
    interrupts = _RoundInterrupts() if watch is not None else None
    with connect(settings) as graph, interrupts or contextlib.nullcontext():
        active = ActiveFoldIn(graph, run_dir)
        try:
            while True:
                try:
                    if interrupts is not None:
                        interrupts.working = True
                    result = refresh(graph, active, user_ids=user_ids, k=k, batch_size=batch_size,
                                     progress=progress_bars(quiet, unit=" users"), force=force)
                except StaleRunError as e:
                    if watch is None:
                        raise
                    click.echo(f"{e}: refreshing under the new run", err=True)  # the next round loads it
                    continue
                if result.users or watch is None:
                    seconds = result.seconds or {}
                    click.echo(f"refreshed {result.users} users ({result.new_users} new to the run, "
                               f"{result.recommendations} recommendations) under run {result.run_id} in "
                               f"{sum(seconds.values()):.2f} s")
                if result.new_movies:
                    click.echo(f"folded in {result.new_movies} new movies under run {result.run_id} (embedding, "
                               "rating model, SIMILAR)")
                if result.refolded_movies:
                    click.echo(f"folded {result.refolded_movies} movies again under run {result.run_id}: their "
                               "ratings at least doubled since their last fold")
                if watch is None:
                    return
                assert interrupts is not None
                interrupts.rest()
                time.sleep(watch)
        except KeyboardInterrupt:
            click.echo("stopped: every user's recommendations are whole (the batch in flight is redone by the "
                       "next refresh)", err=True)
            raise SystemExit(130) from None


class _RoundInterrupts:
    """Ctrl-C under ``refresh --watch``: between rounds it stops at once; during a round it stops when the round is
    done, so no query is cut mid-transfer (the driver can fail there with another error than the interrupt), and a
    second Ctrl-C stops at once (the transaction in flight is rolled back, nothing half-written)."""

    def __init__(self) -> None:
        self.working = False
        self.requested = False
        self._previous: Any = None

    def __enter__(self) -> _RoundInterrupts:
        self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        signal.signal(signal.SIGINT, self._previous)

    def _handle(self, signum: int, frame: object) -> None:
        if self.working and not self.requested:
            self.requested = True
            click.echo("stopping when this round of refresh is done (Ctrl-C again: now)", err=True)
            return
        raise KeyboardInterrupt

    def rest(self) -> None:
        """The round is done: stop now if asked during it."""
        self.working = False
        if self.requested:
            raise KeyboardInterrupt


COMMANDS.append(refresh_cmd)
