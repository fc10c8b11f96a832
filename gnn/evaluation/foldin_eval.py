"""How good is fold-in? New users scored from their first ratings, against a full retrain and popularity.

Protocol (``python -m bench foldin``, README "Fresh recommendations"):

1. Hold out ``holdout`` (10 %) of the users entirely, chosen at random among those with more than
   ``max(ns) + 4`` ratings. Each held-out user's ratings are sorted by time: the first ``max(ns)`` are what
   they might have rated so far, the rest are the **target** (relevant: rating ≥ 4), the same for every ``n``.
   As many **validation users** are held out the same way, from the other users.
2. Train the model once on the remaining users (a random 10 % of their ratings for validation: EASE's λ).
3. Choose the weight of fold-in's popularity prior (:func:`movierec.gnn.serving.foldin.with_prior`) on the validation
   users: the smallest whose mean NDCG@k over ``ns`` is within 1 % of the best (a stronger prior turns a new
   user's list into the popular list for a fraction of a percent of NDCG).
4. For ``n`` in ``ns``: score each test user by **fold-in** of their first ``n`` ratings, rank every
   movie except those ``n``, and measure Recall@k / NDCG@k on the target (also without the prior).
5. **Retrain**: train again with the test users' first ``n`` ratings in the training edges, and rank them
   with the retrained model, the same way (prior included): what a full retrain after those ratings would give.
6. **Popularity**: the most-rated movies of the training users, except the ``n`` rated.

Example:
    >>> rows = fold_in_quality(data, config_for("ease"))["rows"]  # doctest: +SKIP
    >>> rows[2]["n"], rows[2]["ratio_recall@10"]                             # doctest: +SKIP
    (5, 1.0)
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import torch
from torch import Tensor
from torch_geometric.data import HeteroData

from movierec.core.errors import TrainError
from movierec.gnn.data.hetero import MOVIE, RATES, USER
from movierec.gnn.data.split import EdgeSplit
from movierec.gnn.evaluation.metrics import ranking_metrics
from movierec.gnn.models.base import Model, fold_in_ratings
from movierec.gnn.models.bias import bias
from movierec.gnn.models.popularity import popularity
from movierec.gnn.models.registry import model_class
from movierec.gnn.models.scorers import History, Scorer
from movierec.gnn.serving.foldin import with_prior
from movierec.gnn.training.config import TrainConfig
from movierec.gnn.training.train import train

logger = logging.getLogger(__name__)

DEFAULT_NS = (1, 3, 5, 10)
PRIOR_GRID = (0.0, 0.3, 1.0, 3.0, 10.0, 30.0)  # popularity-prior weights tried on the validation users
TIE = 0.99  # weights whose validation NDCG is within 1 % of the best count as tied: the smallest is used


def held_out_users(data: HeteroData, holdout: float, least: int, seed: int, exclude: Tensor | None = None) -> Tensor:
    """``holdout`` of the users with more than ``least`` ratings (none of ``exclude``), at random (sorted)."""
    counts = torch.bincount(data[RATES].edge_index[0], minlength=data[USER].num_nodes)
    eligible = torch.nonzero(counts > least).flatten()
    if exclude is not None:
        eligible = eligible[~torch.isin(eligible, exclude)]
    take = max(1, round(holdout * data[USER].num_nodes))
    if len(eligible) < take:
        raise TrainError(f"only {len(eligible)} users have more than {least} ratings; {take} are needed")
    pick = torch.randperm(len(eligible), generator=torch.Generator().manual_seed(seed))[:take]
    return eligible[pick].sort().values


def _first_ratings(data: HeteroData, users: Tensor, most: int) -> tuple[Tensor, Tensor]:
    """Edge indices of each held-out user's first ``most`` ratings in time, and of the rest (the target)."""
    edge_index, when = data[RATES].edge_index, data[RATES].time
    mine = torch.nonzero(torch.isin(edge_index[0], users)).flatten()
    # by user, then time, then movie (a stable, deterministic order)
    order = torch.from_numpy(np.lexsort((edge_index[1, mine].numpy(), when[mine].numpy(), edge_index[0, mine].numpy())))
    mine = mine[order]
    user = edge_index[0, mine]
    start = torch.searchsorted(user, user, side="left")
    position = torch.arange(len(mine)) - start
    return mine[position < most], mine[position >= most]


def _nth(first: Tensor, data: HeteroData, n: int) -> Tensor:
    """Of the first ratings (sorted by user, then time), each user's first ``n``."""
    user = data[RATES].edge_index[0, first]
    position = torch.arange(len(first)) - torch.searchsorted(user, user, side="left")
    return first[position < n]


def _scores(model: Model, scorer: Scorer, seen: Tensor, data: HeteroData, popular: Tensor, weight: float,
            weighting: str) -> Tensor:
    """Fold-in scores (with the prior of ``weight``) of every user from the ratings ``seen`` (edge indices)."""
    edge_index, rating = data[RATES].edge_index, data[RATES].edge_label
    history = History.from_edges(edge_index[:, seen], rating[seen], data[USER].num_nodes, data[MOVIE].num_nodes,
                                 weighting)
    counts = (history.indptr[1:] - history.indptr[:-1]).float()
    return with_prior(model.fold_in(scorer, history), counts, popular, weight)


def fold_in_quality(data: HeteroData, config: TrainConfig, ns: tuple[int, ...] = DEFAULT_NS, holdout: float = 0.1,
                    seed: int = 0, weights: tuple[float, ...] = PRIOR_GRID) -> dict[str, Any]:
    """Recall/NDCG@``config.k`` of fold-in, of a retrain and of popularity on held-out users, one row per ``n``.

    Args:
        data (HeteroData): The exported graph (with rating times).
        config (TrainConfig): The model (e.g. the default ranker's config).
        ns (tuple[int, ...]): Ratings folded in. (default: ``(1, 3, 5, 10)``)
        holdout (float): Share of users held out for the test, and again for validation. (default: ``0.1``)
        seed (int): Seed of the held-out users and of the validation ratings. (default: ``0``)
        weights (tuple[float, ...]): Popularity-prior weights tried on the validation users: the smallest whose
            mean NDCG over ``ns`` is within 1 % of the best is used on the test users, for fold-in and retrain.

    Returns:
        dict: ``rows`` (one per ``n``), ``prior_weight`` (chosen) and ``validation`` (NDCG per weight).
    """
    k = config.k
    model = model_class(config.model)(config)
    num_users, num_movies = data[USER].num_nodes, data[MOVIE].num_nodes
    edge_index, rating = data[RATES].edge_index, data[RATES].edge_label
    least = max(ns) + 4
    users = held_out_users(data, holdout, least, seed)
    # validation users: as many again, from the rest (the prior's weight is chosen on them, never on the test)
    rest = held_out_users(data, holdout / (1 - holdout), least, seed + 1, exclude=users)
    first, target = _first_ratings(data, users, max(ns))
    val_first, val_target = _first_ratings(data, rest, max(ns))
    others = torch.nonzero(~torch.isin(edge_index[0], torch.cat([users, rest]))).flatten()
    generator = torch.Generator().manual_seed(seed)
    shuffled = others[torch.randperm(len(others), generator=generator)]
    n_val = len(others) // 10
    val, base = shuffled[:n_val].sort().values, shuffled[n_val:].sort().values
    empty = torch.zeros(0, dtype=torch.long)
    logger.info("fold-in quality: %s test and %s validation users, %s target ratings", len(users), len(rest),
                len(target))

    def measure(scores: Tensor, seen: Tensor, targets: Tensor) -> dict[str, float]:
        return ranking_metrics(scores.__getitem__, edge_index[:, seen], edge_index[:, targets], rating[targets],
                               num_movies, k=k)

    fitted = train(data, EdgeSplit(base, val, empty), config)
    popular = torch.bincount(edge_index[1, base], minlength=num_movies).float()
    validation = {}
    for weight in weights:
        ndcg = [measure(_scores(model, fitted.rank, _nth(val_first, data, n), data, popular, weight, config.weighting),
                        _nth(val_first, data, n), val_target)[f"ndcg@{k}"] for n in ns]
        validation[weight] = sum(ndcg) / len(ndcg)
    # the smallest weight within 1 % of the best: a stronger prior buys little NDCG and makes a new user's list
    # the popular list (3 cartoons rated, weight 10: 1 cartoon in the top 10; weight 3: 4)
    best = max(validation.values())
    weight = min(w for w, ndcg in validation.items() if ndcg >= TIE * best)
    logger.info("fold-in prior: validation NDCG@%s per weight %s; using %s", k, validation, weight)
    pop = popularity(edge_index[:, base], num_users, num_movies).scores(torch.arange(num_users))
    rows = []
    for n in ns:
        seen = _nth(first, data, n)
        folded = measure(_scores(model, fitted.rank, seen, data, popular, weight, config.weighting), seen, target)
        plain = measure(_scores(model, fitted.rank, seen, data, popular, 0.0, config.weighting), seen, target)
        retrained = train(data, EdgeSplit(torch.cat([base, seen]).sort().values, val, empty), config)
        again = measure(_scores(model, retrained.rank, seen, data, popular, weight, config.weighting), seen, target)
        row: dict[str, Any] = {"n": n, "users": int(folded["users"])}
        for name, figures in (("fold_in", folded), ("retrain", again), ("fold_in_no_prior", plain),
                              ("popularity", measure(pop, seen, target))):
            row[f"{name}_recall@{k}"] = figures[f"recall@{k}"]
            row[f"{name}_ndcg@{k}"] = figures[f"ndcg@{k}"]
        row[f"ratio_recall@{k}"] = row[f"fold_in_recall@{k}"] / max(row[f"retrain_recall@{k}"], 1e-12)
        row[f"ratio_ndcg@{k}"] = row[f"fold_in_ndcg@{k}"] / max(row[f"retrain_ndcg@{k}"], 1e-12)
        logger.info("fold-in n=%s: %s", n, row)
        rows.append(row)
    return {"rows": rows, "prior_weight": weight, "validation": validation}


RATING_NS = (1, 5, 20)


def fold_in_rating_quality(data: HeteroData, config: TrainConfig, ns: tuple[int, ...] = RATING_NS,
                           holdout: float = 0.1, seed: int = 0) -> dict[str, Any]:
    """Test RMSE of predicted ratings for new users: fold-in, the bias fold-in and a retrain, one row per ``n``.

    The same held-out users as :func:`fold_in_quality` (10 % of the users, entirely out of training; their first
    ``max(ns)`` ratings in time are what they may have rated so far, the rest is the target, the same for every
    ``n``). Each held-out user is folded in from their first ``n`` ratings: the model's own fold-in
    (:meth:`~movierec.gnn.models.base.Model.fold_in_ratings`: ``p_u`` and ``b_u`` by ridge against the trained movie
    side), the bias baseline's (``b_u`` by the same ridge against the bias model's movie biases), and a retrain of
    the model with those ``n`` ratings among its training edges. RMSE is over the target ratings, predictions
    clipped to the training range.

    Args:
        data (HeteroData): The exported graph (with rating times).
        config (TrainConfig): The rating model (e.g. ``config_for("gcmc")``).
        ns (tuple[int, ...]): Ratings folded in. (default: ``(1, 5, 20)``)
        holdout (float): Share of users held out for the test. (default: ``0.1``)
        seed (int): Seed of the held-out users and of the validation ratings. (default: ``0``)

    Returns:
        dict: ``rows``, one per ``n``: ``fold_in_rmse``, ``bias_fold_in_rmse``, ``retrain_rmse``, ``users``,
        ``targets``.
    """
    model = model_class(config.model)(config)
    num_users, num_movies = data[USER].num_nodes, data[MOVIE].num_nodes
    edge_index, rating = data[RATES].edge_index, data[RATES].edge_label
    users = held_out_users(data, holdout, max(ns) + 4, seed)
    first, target = _first_ratings(data, users, max(ns))
    others = torch.nonzero(~torch.isin(edge_index[0], users)).flatten()
    shuffled = others[torch.randperm(len(others), generator=torch.Generator().manual_seed(seed))]
    n_val = len(others) // 10
    val, base = shuffled[:n_val].sort().values, shuffled[n_val:].sort().values
    empty = torch.zeros(0, dtype=torch.long)
    lo, hi = float(rating[base].min()), float(rating[base].max())
    row_of = torch.full((num_users,), -1, dtype=torch.long)
    row_of[users] = torch.arange(len(users))
    target_pairs, target_r = edge_index[:, target], rating[target]
    target_rows = torch.stack([row_of[target_pairs[0]], target_pairs[1]])

    def rmse(pred: Tensor) -> float:
        return float((pred.clamp(lo, hi) - target_r).pow(2).mean().sqrt())

    logger.info("rating fold-in quality: %s held-out users, %s target ratings", len(users), len(target))
    fitted = train(data, EdgeSplit(base, val, empty), config)
    if fitted.rating is None:
        raise TrainError(f"{config.model} predicts no ratings")
    baseline = bias(edge_index[:, base], rating[base], num_users, num_movies)
    rows = []
    for n in ns:
        seen = _nth(first, data, n)
        pairs = torch.stack([row_of[edge_index[0, seen]], edge_index[1, seen]])
        folded = model.fold_in_ratings(fitted.rating, pairs, rating[seen], len(users))
        bias_folded = fold_in_ratings(baseline, pairs, rating[seen], len(users))
        retrained = train(data, EdgeSplit(torch.cat([base, seen]).sort().values, val, empty), config)
        assert retrained.rating is not None
        row = {"n": n, "users": len(users), "targets": len(target),
               "fold_in_rmse": rmse(folded.pairs(*target_rows)),
               "bias_fold_in_rmse": rmse(bias_folded.pairs(*target_rows)),
               "retrain_rmse": rmse(retrained.rating.pairs(*target_pairs))}
        logger.info("rating fold-in n=%s: %s", n, row)
        rows.append(row)
    return {"rows": rows, "model": config.model}
