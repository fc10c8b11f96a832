"""Options and helpers shared by the command modules: Neo4j connection options, --quiet, progress bars."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Sequence
from typing import Any

import click
from tqdm import tqdm

from movierec.core.progress import Bar, ProgressFactory
from movierec.core.settings import Neo4jSettings
from movierec.gnn.models.combined import Combined
from movierec.gnn.models.registry import DEFAULT_MODEL, MODELS, models_help

Command = Callable[..., Any]
Decorator = Callable[[Command], Command]


def stack(options: Sequence[Decorator]) -> Decorator:
    """Apply ``options`` to a command in the order listed (the first shows first in ``--help``)."""

    def decorate(func: Command) -> Command:
        for option in reversed(options):
            func = option(func)
        return func

    return decorate


def neo4j_options_named(user_flag: str = "--user") -> Decorator:
    """Add --uri, the Neo4j user option, --password and --database; the command receives ``settings``.

    Args:
        user_flag (str): The Neo4j user name's option. Commands whose ``--user`` is a MovieLens
            userId (``recommend``, ``score``) use ``"--neo4j-user"``. (default: ``"--user"``)

    The password option reads ``NEO4J_PASSWORD`` but never shows its value in ``--help``.
    """
    user_help = "Neo4j user name. [default: neo4j]"
    if user_flag != "--user":
        user_help = "Neo4j user name (--user is the MovieLens user here). [default: neo4j]"

    def decorate(func: Command) -> Command:
        @functools.wraps(func)
        def wrapper(*args: Any, uri: str | None, neo4j_user: str | None, password: str | None,
                    database: str | None, **kwargs: Any) -> Any:
            settings = Neo4jSettings.resolve(uri=uri, user=neo4j_user, password=password, database=database)
            return func(*args, settings=settings, **kwargs)

        return stack([
            click.option("--uri", envvar="NEO4J_URI", show_envvar=True,
                         help="Bolt URI. [default: the local server]"),
            click.option(user_flag, "neo4j_user", envvar="NEO4J_USERNAME", show_envvar=True, help=user_help),
            click.option("--password", envvar="NEO4J_PASSWORD", show_envvar=True,
                         help="Password. [default: the local server's]"),
            click.option("--database", envvar="NEO4J_DATABASE", show_envvar=True,
                         help="Database. [default: neo4j]"),
        ])(wrapper)

    return decorate


neo4j_options = neo4j_options_named("--user")
"""--uri/--user/--password/--database; the command receives ``settings: Neo4jSettings``."""



class ModelChoice(click.Choice):
    """``--model``: the names in the model registry, read when the option is parsed (so a model registered after
    this module was imported is accepted too)."""

    def __init__(self) -> None:
        super().__init__(list(MODELS))

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        self.choices = tuple(MODELS)
        return super().convert(value, param, ctx)


def model_option() -> Decorator:
    """``--model NAME``: a registered model (default: the default ranker); its help lists each model's summary."""
    return click.option("--model", type=ModelChoice(), default=DEFAULT_MODEL, show_default=True, help=models_help())

def parts_options() -> Decorator:
    """``--ranker``, ``--rating-model``, ``--embedding-model``: the parts of a ``combined`` run (default: its own)."""
    what = {"ranker": "ranks (RECOMMENDED)", "rating-model": "predicts the served ratings",
            "embedding-model": "gives the embeddings (vector index, similar --by embedding)"}
    return stack([click.option(f"--{flag}", type=ModelChoice(),
                               help=f"combined: the model that {text}. "
                                    f"[default: {Combined.defaults[flag.replace('-', '_')]}]")
                  for flag, text in what.items()])


def check_parts(model: str, parts: dict[str, Any]) -> None:
    """A part option given with a model that has no parts is a usage error, not silently ignored."""
    given = [f"--{name.replace('_', '-')}" for name, value in parts.items() if value is not None]
    if given and model != Combined.name:
        raise click.UsageError(f"{', '.join(given)} only apply to --model {Combined.name} (not {model})")


quiet_option = click.option("-q", "--quiet", is_flag=True, help="No progress bars or progress messages.")


def progress_bars(quiet: bool, unit: str = " rows", width: int = 15) -> ProgressFactory | None:
    """One tqdm bar per phase (with its rate), on stderr; ``None`` when ``quiet``."""
    if quiet:
        return None

    def make(phase: str, total: int) -> Bar:
        return tqdm(total=total or None, desc=f"{phase:>{width}}", unit=unit, unit_scale=True, file=sys.stderr,
                    dynamic_ncols=True)

    return make
