"""Configuration of the gnn stage: what to export, how to split, how to train.

One frozen dataclass per concern; each run directory saves the training config beside
the weights (``config.json``) so that a run can be reloaded and reproduced.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

MODELS: tuple[str, ...] = ("ease", "gfcf", "lightgcn", "sage")
DEFAULT_MODEL = "ease"  # the default ranker: its top-K becomes RECOMMENDED (README: results and ablation)
SPLITS: tuple[str, ...] = ("random", "temporal", "file")


@dataclass(frozen=True)
class SubgraphFilter:
    """Which part of the graph to export; every value reaches Cypher as a ``$parameter``.

    All filters combine with AND; ``None`` (or an empty tuple) means "no restriction".
    Users pass the ``users`` filter, movies the year and genre filters, ratings join the two
    and pass the time window. Nodes are exported even when no rating of theirs is (they
    still get embeddings and scores); a subgraph without any rating is an error.

    Args:
        min_year (int, optional): Movies released in this year or later. (default: ``None``)
        max_year (int, optional): Movies released in this year or earlier. (default: ``None``)
        genres (tuple[str, ...]): Movies in at least one of these genres. (default: ``()``)
        users (tuple[int, ...]): Only these ``userId`` values. (default: ``()``)
        rated_after (datetime, optional): Ratings at or after this instant. (default: ``None``)
        rated_before (datetime, optional): Ratings strictly before this instant. (default: ``None``)

    Example:
        >>> SubgraphFilter(min_year=2000, genres=("Comedy",)).params()["min_year"]
        2000
    """

    min_year: int | None = None
    max_year: int | None = None
    genres: tuple[str, ...] = ()
    users: tuple[int, ...] = ()
    rated_after: datetime | None = None
    rated_before: datetime | None = None

    def params(self) -> dict[str, Any]:
        """The Cypher parameters of the export queries (``None``/empty means no restriction)."""
        return {
            "min_year": self.min_year,
            "max_year": self.max_year,
            "genres": list(self.genres) or None,
            "users": list(self.users) or None,
            "rated_after": self.rated_after,
            "rated_before": self.rated_before,
        }

    def describe(self) -> str:
        """A short human-readable summary, e.g. ``"min_year=2000, genres=Comedy"``."""
        parts = []
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value in (None, ()):
                continue
            if isinstance(value, tuple):
                value = ",".join(str(v) for v in value)
            parts.append(f"{f.name}={value}")
        return ", ".join(parts) or "whole graph"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict (datetimes as ISO strings)."""
        out = dataclasses.asdict(self)
        for key in ("rated_after", "rated_before"):
            if out[key] is not None:
                out[key] = out[key].isoformat()
        out["genres"] = list(self.genres)
        out["users"] = list(self.users)
        return out


@dataclass(frozen=True)
class SplitConfig:
    """How ratings are divided into train, validation and test edges.

    Args:
        method (str): ``"random"`` (fractions of all ratings), ``"temporal"`` (per user, the
            latest ratings are held out) or ``"file"`` (the test pairs come from a ratings file;
            validation is a random share of the rest). (default: ``"random"``)
        val_fraction (float): Share of ratings for validation (per user for ``temporal``). (default: ``0.1``)
        test_fraction (float): Share of ratings for test (ignored for ``file``). (default: ``0.1``)
        seed (int): Seed of the random split. (default: ``0``)
        test_file (str, optional): Ratings file whose (user, movie) pairs are the test set. (default: ``None``)
    """

    method: Literal["random", "temporal", "file"] = "random"
    val_fraction: float = 0.1
    test_fraction: float = 0.1
    seed: int = 0
    test_file: str | None = None


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters of one training run (saved as ``config.json`` in the run directory).

    Defaults are the ``sage`` settings tuned on ml-latest-small (random 80/10/10, seed 0);
    :meth:`for_model` returns the defaults of the other model.

    Args:
        model (str): ``"ease"`` (closed-form item-item ranker on the rating graph, the default ranker),
            ``"gfcf"`` (closed-form graph filter), ``"lightgcn"`` (top-K ranking, BPR) or ``"sage"`` (rating
            regression). (default: ``"sage"``; :meth:`for_model` gives each model's defaults)
        hidden (int): Embedding / hidden size. (default: ``64``)
        layers (int): Message-passing layers. (default: ``1``)
        epochs (int): Maximum epochs. (default: ``300``)
        lr (float): Adam learning rate. (default: ``0.01``)
        weight_decay (float): L2 penalty (AdamW-style decoupled for ``sage``). (default: ``1e-4``)
        dropout (float): Dropout on node representations. (default: ``0.3``)
        patience (int): Early stopping: epochs without a better validation score. (default: ``30``)
        target_share (float): ``sage``: share of training edges used as targets each epoch and
            left out of that epoch's message graph, so that an edge never carries its own
            rating to itself. (default: ``0.2``)
        batch_size (int): ``lightgcn``: positive edges per BPR step; ``sage --minibatch``: target
            edges per step. (default: ``32768``; ``lightgcn`` ``8192``. With 4,096 targets a
            mini-batch epoch of a 1M-rating graph took 86 s on 2 cores, with 32,768 14 s: each
            sampled neighbourhood costs about the same, so fewer, larger batches win.)
        minibatch (bool): ``sage``: train on sampled neighbourhoods (:mod:`movierec.gnn.sampler`) instead of the
            full graph. (default: ``False``)
        num_neighbors (tuple[int, ...]): ``--minibatch`` fan-out per layer. (default: ``(20,)``)
        ensemble (int): ``sage``: models trained with different seeds whose predictions are
            averaged (variance reduction; each extra member costs one more training). (default: ``3``)
        rating_head_epochs (int): ``lightgcn``: epochs fitting the rating head on the training
            ratings. (default: ``200``)
        weighting (str): ``ease``/``gfcf``: edge weights of the user × movie graph, ``"rating"`` (the stars) or
            ``"binary"``. (default: ``"rating"``: ahead of binary on both splits of ml-latest-small)
        ease_lambda (float, optional): ``ease``: the L2 weight λ; ``None`` takes the best on the validation edges
            among ``lambda_scales`` × the mean diagonal of ``RᵀR``. (default: ``None``)
        lambda_scales (tuple[float, ...]): ``ease``: the λ candidates, relative to that diagonal (λ grows with
            the data). (default: ``(16,)``: on ml-latest-small the validation NDCG@10 peaks at 16x on the random
            split and is within 0.0003 of its peak (24x) on the temporal one, ``python -m bench.ablation
            --sweep``; one fit instead of several matters at 25M, where each is a 10,000² inverse)
        max_items (int): ``ease``: movies covered by the dense movie × movie model, the most rated first; the
            others are never recommended. Its cost grows as the cube: at 20,000 movies the fit alone took
            2.7 min on the 2-core machine (1M synthetic ratings), at 10,000 about an eighth. (default:
            ``10000``: every rated movie of ml-latest-small, 8,960)
        keep (int): ``ease``: entries kept per column of ``B`` (0: all). (default: ``1000``)
        filter_beta (float): ``gfcf`` (and the embeddings of both): degree normalisation exponent β.
            (default: ``0.4``; 0.5 is GF-CF's, lower penalises popular movies less)
        filter_rank (int): ``gfcf``: singular vectors of the ideal low-pass filter. (default: ``128``)
        filter_alpha (float): ``gfcf``: weight of the ideal low-pass filter. (default: ``0.3``)
        similar_k (int): Most similar movies kept per movie (co-rating cosine; ``SIMILAR`` in Neo4j). (default: ``20``)
        k (int): Cut-off of the ranking metrics. (default: ``10``)
        seed (int): Seed of model initialisation and sampling. (default: ``0``)
        device (str): ``"auto"``, ``"cpu"`` or ``"cuda"``. (default: ``"auto"``)
    """

    model: str = "sage"
    hidden: int = 64
    layers: int = 1
    epochs: int = 300
    lr: float = 0.01
    weight_decay: float = 1e-4
    dropout: float = 0.3
    patience: int = 30
    target_share: float = 0.2
    batch_size: int = 32768
    minibatch: bool = False
    num_neighbors: tuple[int, ...] = (20,)
    ensemble: int = 3
    rating_head_epochs: int = 200
    weighting: str = "rating"
    ease_lambda: float | None = None
    lambda_scales: tuple[float, ...] = (16.0,)
    max_items: int = 10_000
    keep: int = 1_000
    filter_beta: float = 0.4
    filter_rank: int = 128
    filter_alpha: float = 0.3
    similar_k: int = 20
    k: int = 10
    seed: int = 0
    device: str = "auto"
    split: SplitConfig = field(default_factory=SplitConfig)

    @classmethod
    def for_model(cls, model: str, **overrides: Any) -> TrainConfig:
        """The defaults of ``model`` with ``overrides`` (``None`` values are ignored).

        Raises:
            ValueError: If ``model`` is unknown.
        """
        if model not in MODELS:
            raise ValueError(f"unknown model {model!r} (known: {', '.join(MODELS)})")
        base: dict[str, Any] = {"model": model}
        if model in ("ease", "gfcf"):
            # Closed form: one fit, no epochs; ``hidden`` is the size of the embeddings written back.
            base.update(epochs=1, ensemble=1)
        if model == "lightgcn":
            # LightGCN: 64-d embeddings, 3 propagation layers, BPR; no dropout, tiny L2 on the
            # batch's embeddings (inside recommendation_loss), selected on validation NDCG.
            base.update(hidden=64, layers=3, epochs=100, lr=0.01, weight_decay=1e-4, dropout=0.0,
                        patience=10, batch_size=8192, ensemble=1)
        base.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**base)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict of every field."""
        out = dataclasses.asdict(self)
        out["num_neighbors"] = list(self.num_neighbors)
        out["lambda_scales"] = list(self.lambda_scales)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """Inverse of :meth:`to_dict` (unknown keys are ignored, so older runs still load)."""
        names = {f.name for f in dataclasses.fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in names}
        if isinstance(kwargs.get("split"), dict):
            split_names = {f.name for f in dataclasses.fields(SplitConfig)}
            kwargs["split"] = SplitConfig(**{k: v for k, v in kwargs["split"].items() if k in split_names})
        for name in ("num_neighbors", "lambda_scales"):
            if name in kwargs:
                kwargs[name] = tuple(kwargs[name])
        return cls(**kwargs)


_CLAUSE = re.compile(r"^\s*(?P<field>[a-z_.]+)\s*(?P<op>>=|<=|>|<|=|==|\bin\b)\s*(?P<value>.+?)\s*$", re.IGNORECASE)
_FIELDS = {"year": ("m.year", "movie year"), "genre": ("genre", "genre name"), "user": ("u.userId", "userId"),
           "rated": ("r.timestamp", "rating date")}


def parse_where(text: str) -> dict[str, Any]:
    """Parse the small ``--where`` language into :class:`SubgraphFilter` keyword arguments.

    Clauses are joined with ``and``; each is ``FIELD OP VALUE``:

    - ``year >= 2000``, ``year <= 2010``, ``year = 1999`` (also ``m.year``);
    - ``genre = Comedy``, ``genre in (Comedy, Drama)``;
    - ``user in (1, 2, 3)``, ``user = 7`` (also ``u.userId``);
    - ``rated >= 2015-01-01``, ``rated < 2016-06-30T12:00:00`` (also ``r.timestamp``; UTC when no zone).

    Values are parsed here and travel to Cypher as parameters; the text itself never does.

    Args:
        text (str): The expression.

    Returns:
        dict[str, Any]: Keyword arguments of :class:`SubgraphFilter`.

    Raises:
        ValueError: A clause is not understood (the message names it).

    Example:
        >>> parse_where("year >= 2000 and genre in (Comedy, Drama)")
        {'min_year': 2000, 'genres': ('Comedy', 'Drama')}
    """
    out: dict[str, Any] = {}
    for clause in re.split(r"\s+and\s+", text.strip(), flags=re.IGNORECASE):
        match = _CLAUSE.match(clause)
        if match is None:
            raise ValueError(f"--where: cannot read {clause!r} (expected FIELD OP VALUE, e.g. 'year >= 2000')")
        name, op, value = match["field"].lower(), match["op"].lower(), match["value"]
        key = {"m.year": "year", "u.userid": "user", "r.timestamp": "rated"}.get(name, name)
        if key not in _FIELDS:
            raise ValueError(f"--where: unknown field {match['field']!r} in {clause!r} "
                             "(known: year, genre, user, rated)")
        items = _items(value) if op == "in" else [value.strip().strip("'\"")]
        try:
            if key == "year":
                year = int(items[0])
                if op in (">=", ">", "=", "=="):
                    out["min_year"] = year + (op == ">")
                if op in ("<=", "<", "=", "=="):
                    out["max_year"] = year - (op == "<")
                if op == "in":
                    raise ValueError("use year >= / <=")
            elif key == "genre":
                if op not in ("=", "==", "in"):
                    raise ValueError("genre takes = or in")
                out["genres"] = tuple(items)
            elif key == "user":
                if op not in ("=", "==", "in"):
                    raise ValueError("user takes = or in")
                out["users"] = tuple(int(i) for i in items)
            else:
                when = parse_datetime(items[0])
                if op in (">=", ">"):
                    out["rated_after"] = when
                elif op == "<":
                    out["rated_before"] = when
                else:
                    raise ValueError("rated takes >= or <")
        except ValueError as e:
            raise ValueError(f"--where: cannot read {clause!r}: {e}") from e
    return out


def _items(value: str) -> list[str]:
    value = value.strip()
    if value.startswith("(") and value.endswith(")") or value.startswith("[") and value.endswith("]"):
        value = value[1:-1]
    items = [v.strip().strip("'\"") for v in value.split(",")]
    return [v for v in items if v]


def parse_datetime(text: str) -> datetime:
    """``YYYY-MM-DD`` or an ISO datetime; UTC when no zone is given.

    Raises:
        ValueError: Not a date.
    """
    when = datetime.fromisoformat(text.strip())
    return when if when.tzinfo is not None else when.replace(tzinfo=timezone.utc)
