"""Train any registered model: resolve the device, look the model up in the registry, fit it on the split.

The models themselves, and how each is trained, are in :mod:`movierec.gnn.models` (one file each). Every fit
takes the exported graph, the split and a :class:`~movierec.gnn.training.config.TrainConfig` and returns a
:class:`~movierec.gnn.models.base.TrainResult`: the weights, per-epoch history and the scorers a run directory
needs to score without the graph. Messages flow only over the training edges; validation edges pick the epoch
(early stopping), test edges are never touched here.
"""

from __future__ import annotations

import torch
from torch_geometric.data import HeteroData

from movierec.core.errors import TrainError
from movierec.gnn.data.split import EdgeSplit
from movierec.gnn.models.base import EpochCallback, TrainResult
from movierec.gnn.models.registry import model_class
from movierec.gnn.training.config import TrainConfig


def resolve_device(name: str) -> torch.device:
    """``"auto"`` → CUDA when available, else CPU; ``"cuda"`` without a GPU is an error.

    Raises:
        TrainError: ``"cuda"`` was asked for and no CUDA device is available, or the name is unknown.
    """
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise TrainError(f"--device {name} asked for, but no CUDA device is available here "
                             "(use --device cpu or auto)")
        return torch.device(name)
    raise TrainError(f"unknown device {name!r} (use auto, cpu or cuda)")


def train(data: HeteroData, split: EdgeSplit, config: TrainConfig,
          progress: EpochCallback | None = None) -> TrainResult:
    """Train ``config.model`` on the training edges of ``split``.

    Args:
        data (HeteroData): The exported graph (all ratings; the split decides what the model sees).
        split (EdgeSplit): Train / validation / test edges.
        config (TrainConfig): Hyper-parameters.
        progress (Callable[[dict], None], optional): Called after every epoch with its history row;
            with ``sage --minibatch`` also after every step, with ``{"batch", "batches", "loss"}``
            (the epoch's mean loss so far).

    Returns:
        TrainResult: Scorers, weights and history.

    Raises:
        TrainError: Unknown model, unavailable device or a graph without training edges.
    """
    device = resolve_device(config.device)
    if len(split.train) == 0:
        raise TrainError("no training ratings")
    model = model_class(config.model)(config)
    torch.manual_seed(config.seed)
    return model.fit(data, split, device, progress)
