"""Rebuild a run's trained model from its run directory: config, weights, features and training edges.

A run directory keeps the scorers it was trained to (``scoring.pt``) so that serving needs no model
code; it also keeps everything needed to build the model again (``config.json``, ``weights.pt``,
``features.pt``, ``split.pt``). :func:`rebuild` asks the run's model (:mod:`movierec.gnn.models.registry`) to
construct its modules from the config, load their weights, propagate over the run's training edges and return
the scorers, which equal the saved ones. New code that needs the model itself (fold-in of new ratings, a
different top-K) starts here.

Example:
    >>> rank, rating = rebuild(load_run("runs/20261128-233000-lightgcn"))   # doctest: +SKIP
    >>> torch.equal(rank.scores(users), run.score(users))                     # doctest: +SKIP
    True
"""

from __future__ import annotations

import torch

from movierec.core.errors import NotFoundError, TrainError
from movierec.gnn.models.registry import model_class
from movierec.gnn.models.scorers import LinearScorer, Scorer
from movierec.gnn.training.run_dir import TrainedRun


@torch.no_grad()
def rebuild(run: TrainedRun) -> tuple[Scorer, LinearScorer]:
    """The ranking and rating scorers of ``run``'s model, rebuilt from its weights (on CPU).

    Args:
        run (TrainedRun): A loaded run.

    Returns:
        tuple[Scorer, LinearScorer]: Ranking and rating scorers.

    Raises:
        NotFoundError: The run's model is not registered, the run directory lacks a file the model needs, or its
            weights do not fit the config.
    """
    try:
        model = model_class(run.model)(run.config)
    except TrainError as e:
        raise NotFoundError(f"run {run.path}: no way to rebuild it: {e}") from e
    try:
        return model.rebuild(run)
    except (KeyError, RuntimeError, ValueError) as e:
        raise NotFoundError(f"run {run.path}: the saved weights do not rebuild a {run.model} model: {e}") from e
