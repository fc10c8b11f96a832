"""Run directories: the files a trained model is saved as, and :func:`load_run`, which reads them back.

A run directory (default parent ``runs/``) holds:

- ``config.json``: the training config (:class:`~movierec.gnn.training.config.TrainConfig`), subgraph filter,
  export figures, split sizes, rating range and the model facts needed to rebuild it (``extra``);
- ``weights.pt``: the trained modules' ``state_dict`` s (:mod:`movierec.gnn.training.rebuild` loads them);
- ``ids.json``: ``user_ids`` / ``movie_ids``, the Neo4j id of each tensor index;
- ``scoring.pt``: the ranking scorer (a :class:`~movierec.gnn.models.scorers.LinearScorer`, or for the closed-form
  models a history-based scorer of :mod:`movierec.gnn.models.scorers`, whose history is the training edges of
  ``split.pt``) and the rating :class:`~movierec.gnn.models.scorers.LinearScorer`; ``embeddings.pt``: the user /
  movie embeddings written back to Neo4j;
- ``split.pt``: the rating edges and the train / validation / test indices (``movierec evaluate``
  recomputes the baselines on exactly this split);
- ``features.pt``: the node features the model was trained with (``None`` where there were none);
- ``similar.pt``: each movie's ``similar_k`` most similar movies by co-rating over all the run's
  rating edges (``{"movies": [M, k] indices, -1 padded, "scores": [M, k], "genre_weight": γ}``,
  :mod:`movierec.gnn.serving.similar`; a run saved without ``genre_weight`` scored without genres),
  written back as ``SIMILAR`` relationships (older runs lack it);
- ``history.csv``: one row per epoch; ``metrics.json``: the test metrics; ``curve.png``: the training curve;
  ``movies.png``: a 2-D map (PCA) of the movie embeddings, coloured by main genre.

Example:
    >>> run = load_run("runs/20261128-233000-lightgcn")  # doctest: +SKIP
    >>> run.score(torch.arange(10)).shape                 # doctest: +SKIP
    torch.Size([10, 9742])
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import torch

from movierec.core.errors import NotFoundError
from movierec.gnn.data.split import EdgeSplit
from movierec.gnn.models.scorers import History, LinearScorer, Scorer, scorer_from_state, scorer_state
from movierec.gnn.training.config import TrainConfig

DEFAULT_RUNS_DIR = Path("runs")
REQUIRED_FILES = ("config.json", "ids.json", "scoring.pt", "embeddings.pt")


@dataclass
class TrainedRun:
    """A trained model as saved in its run directory.

    Args:
        run_id (str): The run directory's name, e.g. ``"20261128-233000-lightgcn"``.
        path (Path): The run directory.
        model (str): ``"sage"`` or ``"lightgcn"``.
        config (TrainConfig): The training config.
        metrics (dict[str, Any]): Test metrics: ``rmse``, ``mae``, ``recall@10``, ``ndcg@10``, ``hitrate@10``, ...
        user_ids (list[int]): Neo4j ``userId`` of tensor index ``i``.
        movie_ids (list[int]): Neo4j ``movieId`` of tensor index ``j``.
        rank_scorer (Scorer): Ranking scores.
        rating_scorer (LinearScorer): Ratings (before clamping).
        rating_range (tuple[float, float]): Predictions are clamped to it.
        user_embedding (torch.Tensor): ``[U, d]`` final user embeddings.
        movie_embedding (torch.Tensor): ``[M, d]`` final movie embeddings.
        extra (dict[str, Any]): Model facts needed to rebuild it (e.g. sage's rating levels).
        ratings_read_at (str, optional): When the export it was trained on began (server time, ISO 8601); ``None``
            for a run trained from a file or saved before it was recorded.
    """

    run_id: str
    path: Path
    model: str
    config: TrainConfig
    metrics: dict[str, Any]
    user_ids: list[int]
    movie_ids: list[int]
    rank_scorer: Scorer = field(repr=False)
    rating_scorer: LinearScorer = field(repr=False)
    rating_range: tuple[float, float] = (0.5, 5.0)
    user_embedding: torch.Tensor = field(default_factory=lambda: torch.zeros(0, 0), repr=False)
    movie_embedding: torch.Tensor = field(default_factory=lambda: torch.zeros(0, 0), repr=False)
    extra: dict[str, Any] = field(default_factory=dict)
    ratings_read_at: str | None = None
    _similar: dict[str, Any] | None = field(default=None, repr=False, compare=False)  # similar.pt, once read

    def embeddings(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Final node embeddings ``[U, d]``, ``[M, d]`` (float32), row ``i`` ↔ ``user_ids[i]`` / ``movie_ids[i]``."""
        return self.user_embedding.float(), self.movie_embedding.float()

    @torch.no_grad()
    def score(self, user_index: torch.Tensor) -> torch.Tensor:
        """Ranking scores ``[len(user_index), M]`` of every movie (higher = better; ``-inf``: never recommended)."""
        return self.rank_scorer.scores(user_index.long())

    def ranked_movies(self) -> torch.Tensor | None:
        """The movie indices the ranker scores (``None``: all); the others always score ``-inf``."""
        items = getattr(self.rank_scorer, "items", None)
        return None if items is None else items.long()

    def score_ranked(self, user_index: torch.Tensor) -> torch.Tensor:
        """Ranking scores ``[len(user_index), len(ranked_movies())]`` of the ranked movies only."""
        scorer = self.rank_scorer
        if not hasattr(scorer, "item_scores"):
            return self.score(user_index)
        return scorer.item_scores(user_index.long())

    @torch.no_grad()
    def predict_rating(self, user_index: torch.Tensor, movie_index: torch.Tensor) -> torch.Tensor:
        """Predicted rating of each (user, movie) pair, clamped to the training rating range."""
        return self.rating_scorer.pairs(user_index.long(), movie_index.long()).clamp(*self.rating_range)

    def split(self) -> tuple[torch.Tensor, torch.Tensor, EdgeSplit]:
        """The rating edges (``[2, E]`` indices, ``[E]`` ratings) and the split the run was trained on.

        Raises:
            NotFoundError: The run directory has no ``split.pt``.
        """
        state = self._load("split.pt")
        return state["edge_index"], state["rating"], EdgeSplit(state["train"], state["val"], state["test"])

    def weights(self) -> dict[str, Any]:
        """The trained modules' ``state_dict`` s, by name (``weights.pt``).

        Raises:
            NotFoundError: The run directory has no ``weights.pt``.
        """
        return dict(self._load("weights.pt"))

    def features(self) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        """The user and movie features the model was trained with (``features.pt``).

        Raises:
            NotFoundError: The run directory has no ``features.pt``.
        """
        state = self._load("features.pt")
        return state["user"], state["movie"]

    def similar(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Each movie's most similar movies (``similar.pt``): ``[M, k]`` indices (``-1``: none) and scores.

        Raises:
            NotFoundError: The run directory has no ``similar.pt`` (a run saved before it existed).
        """
        state = self._similar_state()
        return state["movies"].long(), state["scores"].float()

    def similar_genre_weight(self) -> float:
        """γ of the genre factor ``similar.pt`` was scored with (:mod:`movierec.gnn.serving.similar`); ``0.0`` for a
        run saved before genres counted, or without ``similar.pt``, so that fold-in scores as the run did."""
        try:
            return float(self._similar_state().get("genre_weight", 0.0))
        except NotFoundError:
            return 0.0

    def _similar_state(self) -> dict[str, Any]:
        # read once per loaded run: fold-in reads the lists' floors and their γ from the same file
        if self._similar is None:
            self._similar = self._load("similar.pt")
        return self._similar

    def _load(self, name: str) -> Any:
        path = self.path / name
        if not path.is_file():
            raise NotFoundError(f"run {self.path} has no {name}")
        return torch.load(path, weights_only=True)


def load_run(path: str | Path) -> TrainedRun:
    """Load a run directory written by :func:`save_run` (``movierec train``).

    Args:
        path (str | Path): The run directory.

    Returns:
        TrainedRun: The run, ready to score on CPU.

    Raises:
        NotFoundError: No such directory, or it is not a complete run directory.
    """
    path = Path(path)
    if not path.is_dir():
        raise NotFoundError(f"no run at {path}")
    missing = [name for name in REQUIRED_FILES if not (path / name).is_file()]
    if missing:
        raise NotFoundError(f"{path} is not a run directory (missing {', '.join(missing)})")
    try:
        meta = json.loads((path / "config.json").read_text(encoding="utf-8"))
        ids = json.loads((path / "ids.json").read_text(encoding="utf-8"))
        scoring = torch.load(path / "scoring.pt", weights_only=True)
        embeddings = torch.load(path / "embeddings.pt", weights_only=True)
        config = TrainConfig.from_dict(meta["config"])
        history = _history(path, config, len(ids["user_ids"]), len(ids["movie_ids"])) \
            if scoring["rank"].get("kind", "linear") != "linear" else None
        metrics_path = path / "metrics.json"
        metrics = json.loads(metrics_path.read_text(encoding="utf-8")) if metrics_path.is_file() else {}
        return TrainedRun(
            run_id=meta["run_id"],
            path=path,
            model=meta["model"],
            config=config,
            metrics=metrics,
            user_ids=[int(i) for i in ids["user_ids"]],
            movie_ids=[int(i) for i in ids["movie_ids"]],
            rank_scorer=scorer_from_state(scoring["rank"], history),
            rating_scorer=LinearScorer.from_state(scoring["rating"]),
            rating_range=(float(scoring["rating_range"][0]), float(scoring["rating_range"][1])),
            user_embedding=embeddings["user"].float(),
            movie_embedding=embeddings["movie"].float(),
            extra=dict(meta.get("extra") or {}),
            ratings_read_at=(meta.get("export") or {}).get("read_at"),
        )
    except (OSError, KeyError, TypeError, ValueError, RuntimeError) as e:
        raise NotFoundError(f"{path} is not a readable run directory: {e}") from e


def _history(path: Path, config: TrainConfig, num_users: int, num_movies: int) -> History:
    """The training signal a history-based scorer ranks from: the run's training edges (``split.pt``)."""
    state = torch.load(path / "split.pt", weights_only=True)
    train = state["train"]
    return History.from_edges(state["edge_index"][:, train], state["rating"][train], num_users, num_movies,
                              config.weighting)


def new_run_id(model: str, runs_dir: Path) -> str:
    """``YYYYmmdd-HHMMSS-<model>``, with ``-2``, ``-3``... when that directory exists already."""
    base = f"{datetime.now(timezone.utc):%Y%m%d-%H%M%S}-{model}"
    run_id, n = base, 1
    while (runs_dir / run_id).exists():
        n += 1
        run_id = f"{base}-{n}"
    return run_id


@dataclass
class RunFiles:
    """Everything :func:`save_run` writes, gathered by the training driver
    (:func:`movierec.gnn.training.run.train_run`)."""

    meta: dict[str, Any]
    user_ids: list[int]
    movie_ids: list[int]
    weights: dict[str, Any]
    rank: Scorer
    rating: LinearScorer
    user_embedding: torch.Tensor
    movie_embedding: torch.Tensor
    rating_range: tuple[float, float]
    edge_index: torch.Tensor
    rating_values: torch.Tensor
    split: EdgeSplit
    user_x: torch.Tensor | None
    movie_x: torch.Tensor | None
    history: list[dict[str, Any]]
    metrics: dict[str, Any]
    similar: tuple[torch.Tensor, torch.Tensor] | None = None
    similar_genre_weight: float = 0.0  # γ the similar lists were scored with


def save_run(path: Path, files: RunFiles) -> None:
    """Write a run directory (``path`` must exist and be empty); :func:`load_run` reads it back."""
    (path / "config.json").write_text(json.dumps(files.meta, indent=2) + "\n", encoding="utf-8")
    (path / "ids.json").write_text(json.dumps({"user_ids": files.user_ids, "movie_ids": files.movie_ids}) + "\n",
                                   encoding="utf-8")
    torch.save(files.weights, path / "weights.pt")
    torch.save({"rank": scorer_state(files.rank), "rating": files.rating.state(),
                "rating_range": list(files.rating_range)}, path / "scoring.pt")
    torch.save({"user": files.user_embedding.float().contiguous(), "movie": files.movie_embedding.float().contiguous()},
               path / "embeddings.pt")
    torch.save({"edge_index": files.edge_index, "rating": files.rating_values, "train": files.split.train,
                "val": files.split.val, "test": files.split.test}, path / "split.pt")
    torch.save({"user": files.user_x, "movie": files.movie_x}, path / "features.pt")
    if files.similar is not None:
        torch.save({"movies": files.similar[0].long().contiguous(), "scores": files.similar[1].float().contiguous(),
                    "genre_weight": float(files.similar_genre_weight)}, path / "similar.pt")
    _write_history(files.history, path / "history.csv")
    (path / "metrics.json").write_text(json.dumps(files.metrics, indent=2) + "\n", encoding="utf-8")


def _write_history(history: list[dict[str, Any]], path: Path) -> None:
    if not history:
        path.write_text("", encoding="utf-8")
        return
    columns = list(dict.fromkeys(key for row in history for key in row))  # a combined run's parts differ
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns, restval="")
        writer.writeheader()
        writer.writerows(history)
