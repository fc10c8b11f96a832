"""The registry: every model and peer by name. Train, rebuild, fold-in, evaluate and the CLI read it, and nothing else.

Adding a model is one file in this package (a :class:`~movierec.gnn.models.base.Model` subclass) plus one line in
:data:`MODELS`; a peer likewise in :data:`PEERS`.

Example:
    >>> sorted(MODELS)
    ['combined', 'ease', 'gcmc', 'gfcf', 'lightgcn', 'sage']
    >>> config_for("lightgcn", epochs=5).layers
    3
"""

from __future__ import annotations

from typing import Any

from movierec.core.errors import TrainError
from movierec.gnn.models.als import ALS
from movierec.gnn.models.base import Model, Peer
from movierec.gnn.models.bias import Bias
from movierec.gnn.models.combined import Combined
from movierec.gnn.models.ease import Ease, EaseBinary
from movierec.gnn.models.gcmc import GCMC
from movierec.gnn.models.gfcf import GFCF
from movierec.gnn.models.global_mean import GlobalMean
from movierec.gnn.models.itemknn import ItemKNN
from movierec.gnn.models.lightgcn import LightGCN
from movierec.gnn.models.mf import MatrixFactorization
from movierec.gnn.models.popularity import Popularity
from movierec.gnn.models.sage import Sage
from movierec.gnn.training.config import TrainConfig

MODELS: dict[str, type[Model]] = {model.name: model for model in (Ease, GFCF, LightGCN, Sage, GCMC, Combined)}
"""The models ``movierec train --model`` offers, in the order ``--help`` lists them."""

DEFAULT_MODEL = "combined"
"""What ``pipeline`` and ``train`` run by default: lightgcn ranks, gcmc predicts ratings and gives the embeddings
(README: results and ablation; each part wins its own measure)."""

PEERS: dict[str, type[Peer]] = {peer.name: peer for peer in (GlobalMean, Bias, MatrixFactorization, Popularity,
                                                             EaseBinary, ItemKNN, ALS)}
"""The peers ``movierec evaluate`` fits beside every run, in the order of its table."""


def model_class(name: str) -> type[Model]:
    """The model registered as ``name``.

    Raises:
        TrainError: No model has that name (the message lists the known ones).
    """
    try:
        return MODELS[name]
    except KeyError:
        raise TrainError(f"unknown model {name!r} (known: {', '.join(MODELS)})") from None


def config_for(model: str, **overrides: Any) -> TrainConfig:
    """``model``'s training config: the :class:`TrainConfig` defaults, the model's own, then ``overrides``.

    ``None`` values in ``overrides`` are ignored (an option left unset).

    Raises:
        TrainError: If ``model`` is unknown.
    """
    base: dict[str, Any] = {"model": model, **model_class(model).defaults}
    base.update({k: v for k, v in overrides.items() if v is not None})
    return TrainConfig(**base)


def models_help() -> str:
    """``--model``'s help: each model's name and summary, from the registry."""
    return "; ".join(f"{name}: {model.summary}" for name, model in MODELS.items()) + "."
