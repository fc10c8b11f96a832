"""The one interface every model implements (:class:`Model`), the one of the peers (:class:`Peer`), and what a fit
returns (:class:`TrainResult`).

A model is one file in :mod:`movierec.gnn.models` and one line in :mod:`movierec.gnn.models.registry`. Train,
rebuild, fold-in, evaluate and the CLI's ``--model`` know models only through the registry, so none of them
names a model. What a model provides:

- **fitting on a split** (:meth:`Model.fit`): messages and targets from the training edges only, choices on the
  validation edges;
- **the ranking scorer** (``TrainResult.rank``): a :class:`~movierec.gnn.models.scorers.LinearScorer` or a
  history-based scorer;
- **the rating scorer** (``TrainResult.rating``): always a ``LinearScorer``, ``offset + b_u + b_m + p_u · q_m``,
  whose parts are written on the nodes (``ratingBias``, ``ratingFactors``) for Cypher's ``predict_rating``;
- **the embeddings** (:meth:`TrainResult.embeddings`): ``Movie.embedding`` and its vector index;
- **save and load**: ``TrainResult.weights`` and ``extra`` are saved in the run directory, and :meth:`Model.rebuild`
  builds the scorers again from them and the run's training edges;
- **fold-in of a new user** (:meth:`Model.fold_in`, :meth:`Model.fold_in_ratings`): scores and a rating model
  for users from their current ratings, without retraining.

Example:
    >>> from movierec.gnn.models.registry import config_for, model_class
    >>> model = model_class("ease")(config_for("ease"))
    >>> result = model.fit(data, split, torch.device("cpu"))   # doctest: +SKIP
    >>> result.rank.scores(torch.tensor([0])).shape             # doctest: +SKIP
    torch.Size([1, 9742])
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol

import torch
from torch import Tensor
from torch_geometric.data import HeteroData

from movierec.gnn.data.hetero import RATES
from movierec.gnn.data.split import EdgeSplit
from movierec.gnn.models.scorers import History, LinearScorer, Scorer
from movierec.gnn.training.config import TrainConfig

EpochCallback = Callable[[dict[str, Any]], None]

BIAS_REG = 5.0  # ridge weight of a folded-in user's bias, in ratings (a user with 5 ratings: half shrunk)
FOLD_IN_PRIOR = 3.0  # the popularity prior's weight in fold-in, for a user without ratings (EASE's, bench.foldin)
FACTOR_REG = 25.0  # ridge weight of a folded-in user's rating factors, relative to the mean movie-factor norm²


@dataclass
class TrainResult:
    """What a fit produced.

    Args:
        rank (Scorer): Ranking scores (higher = better): a :class:`LinearScorer`, or a history-based
            scorer of :mod:`movierec.gnn.models.scorers` for the closed-form models.
        rating (LinearScorer): Predicted ratings (clamp to ``rating_range``).
        rating_range (tuple[float, float]): Lowest and highest training rating.
        history (list[dict]): One row per epoch (``member``, ``epoch``, ``loss``, validation metrics, ``seconds``).
        weights (dict): ``state_dict`` s of the trained modules, by name (``weights.pt``; :meth:`Model.rebuild`).
        extra (dict): Model facts needed to rebuild it (e.g. rating levels).
        user_embedding (torch.Tensor, optional): ``[U, d]`` embeddings written back (default: ``rank.user``).
        movie_embedding (torch.Tensor, optional): ``[M, d]`` (default: ``rank.movie``).
    """

    rank: Scorer
    rating: LinearScorer
    rating_range: tuple[float, float]
    history: list[dict[str, Any]] = field(default_factory=list)
    weights: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    user_embedding: Tensor | None = None
    movie_embedding: Tensor | None = None

    def embeddings(self) -> tuple[Tensor, Tensor]:
        """The user and movie embeddings written back to Neo4j (float32, CPU)."""
        if self.user_embedding is not None and self.movie_embedding is not None:
            return self.user_embedding.float().cpu(), self.movie_embedding.float().cpu()
        assert isinstance(self.rank, LinearScorer)
        return self.rank.user.float().cpu(), self.rank.movie.float().cpu()

    @property
    def seconds_per_epoch(self) -> float:
        times = [row["seconds"] for row in self.history]
        return sum(times) / len(times) if times else 0.0


class SavedRun(Protocol):
    """What :meth:`Model.rebuild` reads of a run directory (:class:`~movierec.gnn.training.run_dir.TrainedRun`)."""

    path: Path
    config: TrainConfig
    extra: dict[str, Any]
    user_ids: list[int]
    movie_ids: list[int]

    def split(self) -> tuple[Tensor, Tensor, EdgeSplit]: ...

    def weights(self) -> dict[str, Any]: ...

    def features(self) -> tuple[Tensor | None, Tensor | None]: ...


class Model(ABC):
    """A trainable model: one subclass per file of :mod:`movierec.gnn.models`, registered by :attr:`name`.

    Args:
        config (TrainConfig): The run's hyper-parameters (:func:`~movierec.gnn.models.registry.config_for`
            applies :attr:`defaults`).
    """

    name: ClassVar[str]
    """The ``--model`` name, also the run directory's suffix."""
    summary: ClassVar[str]
    """One line for ``--model``'s help."""
    defaults: ClassVar[dict[str, Any]] = {}
    """The :class:`TrainConfig` fields this model sets differently from the dataclass's defaults."""
    fold_in_prior: ClassVar[float] = FOLD_IN_PRIOR
    """The weight of fold-in's popularity prior for a user without ratings (chosen on validation users,
    ``python -m bench.foldin --model NAME``)."""
    loaders: ClassVar[tuple[str, ...]] = ("memory",)
    """Where training batches may come from (``train --loader``): ``"memory"``, the exported graph; ``"neo4j"``,
    PyG's loaders over the Neo4j remote stores (:mod:`movierec.gnn.data.remote`)."""

    def __init__(self, config: TrainConfig) -> None:
        self.config = config

    @abstractmethod
    def fit(self, data: HeteroData, split: EdgeSplit, device: torch.device,
            progress: EpochCallback | None = None) -> TrainResult:
        """Train on ``split.train`` (validation edges choose epochs and settings; test edges are never read).

        Args:
            data (HeteroData): The exported graph (all ratings; the split decides what the model sees).
            split (EdgeSplit): Train / validation / test edges.
            device (torch.device): Where to train.
            progress (EpochCallback, optional): Called with each history row (and mini-batch step, where a model
                has them).
        """

    @abstractmethod
    def rebuild(self, run: SavedRun) -> tuple[Scorer, LinearScorer]:
        """The ranking and rating scorers again, from ``run``'s saved weights and training edges (on CPU).

        Raises:
            KeyError, RuntimeError, ValueError: The saved weights do not fit (the caller names the run).
        """

    @classmethod
    def epochs_in_total(cls, config: TrainConfig) -> int:
        """The history rows :meth:`fit` reports at most (the length of the CLI's progress bar)."""
        return config.epochs

    @classmethod
    def prior_weight(cls, config: TrainConfig) -> float:
        """Fold-in's popularity-prior weight for this model's runs (:attr:`fold_in_prior`)."""
        return cls.fold_in_prior

    @classmethod
    def describe(cls, config: TrainConfig) -> str:
        """The run's model in words (``ModelRun.model``, ``movierec runs``): the name, or what it is made of."""
        return cls.name

    @classmethod
    def training_summary(cls, metrics: dict[str, Any]) -> str:
        """How training went, in words, from a run's ``metrics.json``."""
        return f"{metrics['epochs']} epochs, {metrics['seconds_per_epoch']:.2f} s/epoch"

    def fold_in(self, rank: Scorer, rows: History) -> Tensor:
        """``[n, M]`` ranking scores for the rows of ``rows``: users scored from their current ratings.

        The default is the scorer's own fold-in: exact for history-based scorers (a known user's training ratings
        give the run's scores), the mean of the rated movies' vectors for factor scorers.
        """
        return rank.fold_in(rows)

    def fold_in_ratings(self, rating: LinearScorer, pairs: Tensor, values: Tensor, num_users: int) -> LinearScorer:
        """The rating model of ``num_users`` new rows (:func:`fold_in_ratings`: ridge on the user side)."""
        return fold_in_ratings(rating, pairs, values, num_users)


@dataclass
class PeerFit:
    """A peer fitted on a run's training edges.

    Args:
        rank (Scorer): Its ranking scorer.
        rating (LinearScorer, optional): Its rating scorer; ``None`` when it predicts no ratings.
        note (str): What the row is, where the name is not enough (its settings). (default: ``""``)
    """

    rank: Scorer
    rating: LinearScorer | None
    note: str = ""


@dataclass
class PeerEdges:
    """The edges a peer is fitted on: a run's training edges and the validation edges that choose its settings."""

    train_ei: Tensor
    train_r: Tensor
    val_ei: Tensor
    val_r: Tensor
    num_users: int
    num_movies: int


class Peer(ABC):
    """A simple model that ``movierec evaluate`` fits beside every run, on the run's own split."""

    name: ClassVar[str]

    @abstractmethod
    def fit(self, edges: PeerEdges, k: int, seed: int) -> PeerFit:
        """Fit on ``edges.train_*``; choose settings on ``edges.val_*`` by NDCG@``k``."""


def edges_of(data: HeteroData, index: Tensor, device: torch.device) -> tuple[Tensor, Tensor]:
    """The rating edges ``index`` of ``data``: ``[2, n]`` (user, movie) indices and ``[n]`` ratings on ``device``."""
    return data[RATES].edge_index[:, index].to(device), data[RATES].edge_label[index].to(device)


def ridge_rows(x: Tensor, target: Tensor, rows: Tensor, num_rows: int, reg: Tensor,
               start: Tensor | None = None) -> Tensor:
    """Per row ``r``, the ridge solution ``θ_r`` of ``min Σ_e (t_e - x_e · θ_r)² + Σ_k reg_k (θ_rk - start_rk)²``
    over the examples ``e`` of that row: ``[num_rows, k]``.

    Each row's Gram matrix is one product of its block of examples (sorted by row), so memory is ``num_rows × k²``,
    not ``examples × k²``: a per-example outer product, scattered, held 8.8 GB for 200 users' 33,000 ratings at
    ``k = 257`` (the default run's 256-dimension rating model at 25M) and took 22 s of a 1,000-user refresh.

    Args:
        x (Tensor): ``[E, k]`` features of each example.
        target (Tensor): ``[E]`` targets.
        rows (Tensor): ``[E]`` the row of each example (below ``num_rows``).
        num_rows (int): Rows.
        reg (Tensor): ``[k]`` ridge weights (positive: every system is solvable, rows without examples too).
        start (Tensor, optional): ``[num_rows, k]`` where the ridge pulls each row. (default: zeros)
    """
    k = x.size(1)
    order = torch.argsort(rows, stable=True)
    x, target = x[order].float(), target[order].float()
    counts = torch.bincount(rows, minlength=num_rows).tolist()
    gram = torch.zeros(num_rows, k, k)
    at = 0
    for r, n in enumerate(counts):
        if n:
            block = x[at:at + n]
            torch.mm(block.T, block, out=gram[r])
            at += n
    gram += torch.diag(reg.float())
    rhs = torch.zeros(num_rows, k).index_add_(0, rows[order], x * target.unsqueeze(1))
    if start is not None:
        rhs += reg.float() * start.float()
    return torch.linalg.solve(gram, rhs.unsqueeze(2)).squeeze(2)


def fold_in_ratings(scorer: LinearScorer, pairs: Tensor, ratings: Tensor, num_users: int,
                    bias_reg: float = BIAS_REG, factor_reg: float = FACTOR_REG) -> LinearScorer:
    """The rating model for ``num_users`` new rows: the run's movie side, each user's side fitted by ridge.

    For user ``u`` with ratings ``r_i`` of movies ``i``, ``[b_u, f_u]`` minimises
    ``Σ (r_i - offset - b_i - b_u - f_u · q_i)² + bias_reg · b_u² + λ |f_u|²`` with
    ``λ = factor_reg · mean |q|²``: with few ratings the user's side stays near zero (the bias baseline).

    Args:
        scorer (LinearScorer): The run's rating scorer (its movie factors ``q`` and biases are kept).
        pairs (Tensor): ``[2, E]`` (row, movie index) of the ratings.
        ratings (Tensor): ``[E]`` the ratings.
        num_users (int): Rows.
        bias_reg (float): Ridge weight of ``b_u``. (default: :data:`BIAS_REG`)
        factor_reg (float): Ridge weight of ``f_u``, relative to ``mean |q|²``. (default: :data:`FACTOR_REG`)
    """
    d = scorer.movie.size(1)
    q = torch.cat([torch.ones(scorer.movie.size(0), 1), scorer.movie.float()], dim=1)  # [M, 1 + d]
    target = ratings.float() - scorer.offset - scorer.movie_bias[pairs[1]]
    scale = float(scorer.movie.pow(2).sum(1).mean()) if d else 1.0
    reg = torch.full((d + 1,), factor_reg * scale)
    reg[0] = bias_reg
    solved = ridge_rows(q[pairs[1]], target, pairs[0], num_users, reg)  # [n, 1 + d]
    return LinearScorer(solved[:, 1:].contiguous(), scorer.movie, solved[:, 0].contiguous(), scorer.movie_bias,
                        scorer.offset)
