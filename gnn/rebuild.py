"""Rebuild a run's trained model from its run directory: config, weights, features and training edges.

A run directory keeps the scorers it was trained to (``scoring.pt``) so that serving needs no model
code; it also keeps everything needed to build the model again (``config.json``, ``weights.pt``,
``features.pt``, ``split.pt``). :func:`rebuild` does that: it constructs the modules from the config,
loads their weights, propagates over the run's training edges and returns the scorers, which equal
the saved ones. New code that needs the model itself (fold-in of new ratings, a different top-K)
starts here.

Example:
    >>> rank, rating = rebuild(load_run("runs/20261128-233000-lightgcn"))   # doctest: +SKIP
    >>> torch.equal(rank.scores(users), run.score(users))                     # doctest: +SKIP
    True
"""

from __future__ import annotations

import torch

from movierec.core.errors import NotFoundError
from movierec.gnn.closed_form import ease_weight, gram
from movierec.gnn.model import LightGCNRanker, LinearScorer, RatingHead, SageRating, typed_edge_index
from movierec.gnn.run_dir import TrainedRun
from movierec.gnn.scorers import History, ItemItemScorer, Scorer, scorer_from_state


@torch.no_grad()
def rebuild(run: TrainedRun) -> tuple[Scorer, LinearScorer]:
    """The ranking and rating scorers of ``run``'s model, rebuilt from its weights (on CPU).

    Args:
        run (TrainedRun): A loaded run.

    Returns:
        tuple[Scorer, LinearScorer]: Ranking and rating scorers.

    Raises:
        NotFoundError: The run directory lacks a file the model needs, or its weights do not fit the config.
    """
    edge_index, rating, split = run.split()
    train_ei, train_r = edge_index[:, split.train], rating[split.train]
    weights = run.weights()
    num_users, num_movies = len(run.user_ids), len(run.movie_ids)
    config = run.config
    try:
        if run.model == "lightgcn":
            model = LightGCNRanker(num_users, num_movies, config.hidden, config.layers)
            model.load_state_dict(weights["lightgcn"])
            model.eval()
            eu, em = model.embeddings(LightGCNRanker.graph(train_ei, num_users, num_movies))
            head = RatingHead(num_users, num_movies, config.hidden, float(run.extra["mean"]))
            head.load_state_dict(weights["rating_head"])
            return LinearScorer(eu, em, torch.zeros(num_users), torch.zeros(num_movies), 0.0), head.scorer(eu, em)
        if run.model in ("ease", "gfcf"):
            history = History.from_edges(train_ei, train_r, num_users, num_movies, config.weighting)
            eu, em = weights["embeddings"]["user"], weights["embeddings"]["movie"]
            head = RatingHead(num_users, num_movies, eu.size(1), float(run.extra["mean"]))
            head.load_state_dict(weights["rating_head"])
            if run.model == "ease":
                state = weights["ease"]
                items = state["items"].long()
                rank: Scorer = ItemItemScorer(history, items, ease_weight(gram(history, items), float(state["lambda"]),
                                                                          int(state["keep"])))
            else:
                rank = scorer_from_state(weights["gfcf"], history)
            return rank, head.scorer(eu, em)
        if run.model == "sage":
            user_x, movie_x = run.features()
            levels = [int(v) for v in run.extra["levels"]]
            graph = typed_edge_index(train_ei, train_r, levels)
            scorers = []
            for member in range(config.ensemble):
                sage = SageRating(num_users, num_movies, user_x.size(1) if user_x is not None else 0,
                                  movie_x.size(1) if movie_x is not None else 0, levels, float(run.extra["mean"]),
                                  hidden=config.hidden, layers=config.layers, dropout=config.dropout)
                sage.load_state_dict(weights[f"sage_{member}"])
                sage.eval()
                scorers.append(sage.scorer(user_x, movie_x, graph))
            scorer = LinearScorer.average(scorers)
            return scorer, scorer
    except (KeyError, RuntimeError, ValueError) as e:
        raise NotFoundError(f"run {run.path}: the saved weights do not rebuild a {run.model} model: {e}") from e
    raise NotFoundError(f"run {run.path}: no way to rebuild a model named {run.model!r}")
