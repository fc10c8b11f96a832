"""Early stopping on a validation metric, keeping the best weights: the one helper every trained model uses."""

from __future__ import annotations

import copy
import math
from typing import Any

import torch


class EarlyStopping:
    """Keeps a copy of the best weights and says when to stop: ``patience`` checks without improving.

    Args:
        module (torch.nn.Module): The module whose ``state_dict`` is tracked.
        patience (int): Checks without an improvement before stopping.
        lower_is_better (bool): ``True`` for losses/RMSE, ``False`` for NDCG and the like.
        min_delta (float): The smallest change that counts as an improvement. (default: ``1e-5``)

    Example:
        >>> stopper = EarlyStopping(model, patience=30, lower_is_better=True)
        >>> for epoch in range(epochs):
        ...     if stopper.step(validation_rmse()):
        ...         break
        >>> best_weights = stopper.restore()
    """

    def __init__(self, module: torch.nn.Module, patience: int, lower_is_better: bool,
                 min_delta: float = 1e-5) -> None:
        self.module = module
        self.patience = patience
        self.sign = 1.0 if lower_is_better else -1.0
        self.min_delta = min_delta
        self.best = math.inf if lower_is_better else -math.inf
        self.best_state = copy.deepcopy(module.state_dict())
        self.bad = 0

    def step(self, value: float) -> bool:
        """Record one validation value; return whether training should stop."""
        if self.sign * value < self.sign * self.best - self.min_delta:
            self.best, self.best_state, self.bad = value, copy.deepcopy(self.module.state_dict()), 0
            return False
        self.bad += 1
        return self.bad >= self.patience

    def restore(self) -> dict[str, Any]:
        """Load the best weights back into the module and return them."""
        self.module.load_state_dict(self.best_state)
        return self.best_state
