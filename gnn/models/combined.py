"""``combined``: a run in parts, each part from the model that measures best for it.

A run serves three things, and no single model is the best at all of them (README, "Results" and "Ablation"):

- the **ranker** fills ``RECOMMENDED`` (and ``recommend --fresh``, fold-in): ``lightgcn``, ahead of every row on
  Recall@10 and NDCG@10 on both splits of ml-latest-small;
- the **rating model** fills ``predictedRating``, ``ratingBias`` / ``ratingFactors`` and Cypher's
  ``predict_rating``: ``gcmc``, the best RMSE on both splits;
- the **embedding model** fills ``Movie.embedding`` / ``User.embedding``, the vector index,
  ``similar --by embedding`` and ``movies.png``: the part whose movie vectors find what a person expects (franchise
  mates, genre neighbours), measured in ``gnn/models/combined.py``'s defaults below.

Each part is trained with its own model's defaults (``Model.defaults``; the run's seed, device, split, ``k`` and
``similar_k``), once per distinct model: a run whose ranker and embeddings come from the same model trains it once.
The run directory holds every part's weights (``<model>/<name>``), ``config.json`` names the parts
(``ranker``, ``rating_model``, ``embedding_model``) and ``movierec runs`` shows them. ``rebuild`` rebuilds each part
from its own weights; fold-in folds a new user into the ranker (``refresh``'s ``RECOMMENDED``) and into the rating
model (their ``ratingFactors``) by each part's own fold-in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import torch
from torch import Tensor
from torch_geometric.data import HeteroData

from movierec.core.errors import TrainError
from movierec.gnn.data.split import EdgeSplit
from movierec.gnn.models.base import EpochCallback, Model, SavedRun, TrainResult
from movierec.gnn.models.scorers import History, LinearScorer, Scorer
from movierec.gnn.training.config import TrainConfig

PARTS = ("ranker", "rating_model", "embedding_model")
"""The :class:`TrainConfig` fields naming each part's model."""

PART_NAMES = {"ranker": "ranker", "rating_model": "ratings", "embedding_model": "embeddings"}


def _registry() -> Any:
    # the registry imports this module; it is read at call time
    from movierec.gnn.models import registry  # noqa: PLC0415

    return registry


class _PartRun:
    """One part's view of a saved combined run (:class:`~movierec.gnn.models.base.SavedRun`)."""

    def __init__(self, run: SavedRun, model: str, config: TrainConfig) -> None:
        self.path: Path = run.path
        self.config = config
        self.extra: dict[str, Any] = run.extra.get("part_extra", {}).get(model, {})
        self.user_ids = run.user_ids
        self.movie_ids = run.movie_ids
        self._run = run
        self._prefix = f"{model}/"

    def split(self) -> tuple[Tensor, Tensor, EdgeSplit]:
        return self._run.split()

    def weights(self) -> dict[str, Any]:
        return {k[len(self._prefix):]: v for k, v in self._run.weights().items() if k.startswith(self._prefix)}

    def features(self) -> tuple[Tensor | None, Tensor | None]:
        return self._run.features()


class Combined(Model):
    """The default run: the ranker, the rating model and the embeddings, each from its own model."""

    name: ClassVar[str] = "combined"
    summary: ClassVar[str] = ("the default run, in parts: lightgcn ranks, gcmc predicts ratings, gcmc's movie "
                              "vectors are the embeddings (--ranker, --rating-model, --embedding-model)")
    # epochs 0: each part its own; --epochs N caps every part
    defaults: ClassVar[dict[str, Any]] = {"ranker": "lightgcn", "rating_model": "gcmc", "embedding_model": "gcmc",
                                          "epochs": 0}

    def parts(self) -> dict[str, str]:
        """Part → model name, checked against the registry (a part cannot be ``combined`` itself)."""
        parts = {part: getattr(self.config, part) for part in PARTS}
        for part, model in parts.items():
            if model == self.name or model not in _registry().MODELS:
                known = ", ".join(m for m in _registry().MODELS if m != self.name)
                raise TrainError(f"--{part.replace('_', '-')} {model!r} is not a model (known: {known})")
        return parts

    def part_config(self, model: str) -> TrainConfig:
        """``model``'s own defaults, with this run's seed, device, split, cut-offs and ``--epochs`` (when set)."""
        c = self.config
        return _registry().config_for(model, seed=c.seed, device=c.device, split=c.split, k=c.k,
                                      similar_k=c.similar_k, epochs=c.epochs or None)

    def part_model(self, part: str) -> Model:
        model = self.parts()[part]
        return _registry().model_class(model)(self.part_config(model))

    def fit(self, data: HeteroData, split: EdgeSplit, device: torch.device,
            progress: EpochCallback | None = None) -> TrainResult:
        parts = self.parts()
        results: dict[str, TrainResult] = {}
        history: list[dict[str, Any]] = []
        for model in dict.fromkeys(parts.values()):  # each distinct model once, in part order

            def tagged(row: dict[str, Any], model: str = model) -> None:
                if progress is not None:
                    progress({**row, "member": model})

            torch.manual_seed(self.config.seed)
            results[model] = _registry().model_class(model)(self.part_config(model)).fit(data, split, device, tagged)
            history += [{**row, "member": model} for row in results[model].history]
        ranker, rating, embedding = (results[parts[p]] for p in PARTS)
        user_embedding, movie_embedding = embedding.embeddings()
        return TrainResult(
            rank=ranker.rank, rating=rating.rating, rating_range=rating.rating_range, history=history,
            weights={f"{model}/{name}": w for model, r in results.items() for name, w in r.weights.items()},
            extra={"parts": parts, "part_extra": {model: r.extra for model, r in results.items()}},
            user_embedding=user_embedding, movie_embedding=movie_embedding)

    def rebuild(self, run: SavedRun) -> tuple[Scorer, LinearScorer]:
        parts = self.parts()
        rebuilt = {}
        for model in dict.fromkeys(parts.values()):
            config = self.part_config(model)
            rebuilt[model] = _registry().model_class(model)(config).rebuild(_PartRun(run, model, config))
        return rebuilt[parts["ranker"]][0], rebuilt[parts["rating_model"]][1]

    @classmethod
    def epochs_in_total(cls, config: TrainConfig) -> int:
        models = dict.fromkeys(getattr(config, part) for part in PARTS)
        registry = _registry()
        return sum(registry.model_class(m).epochs_in_total(registry.config_for(m, epochs=config.epochs or None))
                   for m in models if m in registry.MODELS and m != cls.name)

    @classmethod
    def prior_weight(cls, config: TrainConfig) -> float:
        """The ranker's: fold-in scores come from it."""
        registry = _registry()
        return registry.model_class(config.ranker).prior_weight(registry.config_for(config.ranker))

    @classmethod
    def describe(cls, config: TrainConfig) -> str:
        return f"{cls.name} (" + ", ".join(f"{PART_NAMES[p]} {getattr(config, p)}" for p in PARTS) + ")"

    @classmethod
    def training_summary(cls, metrics: dict[str, Any]) -> str:
        return f"{metrics['epochs']} epochs over the parts, {metrics['train_seconds']:.0f} s"

    def fold_in(self, rank: Scorer, rows: History) -> Tensor:
        return self.part_model("ranker").fold_in(rank, rows)

    def fold_in_ratings(self, rating: LinearScorer, pairs: Tensor, values: Tensor, num_users: int) -> LinearScorer:
        return self.part_model("rating_model").fold_in_ratings(rating, pairs, values, num_users)

