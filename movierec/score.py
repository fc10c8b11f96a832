"""Score one (user, movie) pair with a trained run: the library behind ``movierec score``.

The predicted rating is computed twice when the run is the active one: in Python, from the run directory
(``TrainedRun.predict_rating``), and in Cypher, from the rating model the writeback stored in the graph
(``cypher/predict_rating.cypher``), so the two can be checked against each other.

Example:
    >>> with connect(Neo4jSettings.resolve()) as graph:           # doctest: +SKIP
    ...     score_pair(graph, user_id=1, movie_id=1).predicted_rating
    4.37
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

from movierec import cypher
from movierec.core.db import Graph
from movierec.core.errors import NotFoundError
from movierec.cypher.queries import active_run, predict_ratings
from movierec.gnn.data.ids import positions
from movierec.gnn.training.run_dir import TrainedRun, load_run


@dataclass
class PairScore:
    """A run's view of one (user, movie) pair, and what the graph holds for it.

    Args:
        user_id (int): The ``userId``.
        movie_id (int): The ``movieId``.
        run_id (str): The run that scored it.
        score (float): Ranking score (higher = better).
        predicted_rating (float): Predicted rating, clamped to the rating range.
        score_rank (int): Rank of ``score`` among all the run's movies, rated ones included (1 = best).
        movies (int): How many movies the run ranks.
        title (str, optional): The movie's title in the graph.
        rating (float, optional): The user's actual rating, if any.
        recommended_rank (int, optional): Rank among the user's recommendations in the active run.
        cypher_rating (float, optional): The same pair's predicted rating computed in Cypher
            (``cypher/predict_rating.cypher``) when ``run_id`` is the active run; ``None`` when it is not, or when
            the graph holds no rating model for the pair (a run written back by an older movierec).
        active_run_id (str, optional): The active run's id (``None`` when no run is active).
    """

    user_id: int
    movie_id: int
    run_id: str
    score: float
    predicted_rating: float
    score_rank: int
    movies: int
    title: str | None = None
    rating: float | None = None
    recommended_rank: int | None = None
    cypher_rating: float | None = None
    active_run_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The fields under the CLI's JSON names (``userId``, ``predictedRating``, ...)."""
        names = {"user_id": "userId", "movie_id": "movieId", "run_id": "runId", "predicted_rating": "predictedRating",
                 "score_rank": "scoreRank", "recommended_rank": "recommendedRank", "cypher_rating": "cypherRating",
                 "active_run_id": "activeRunId"}
        return {names.get(k, k): v for k, v in asdict(self).items()}


def active_run_dir(graph: Graph) -> Path:
    """The folder of the active run, as its ``ModelRun.path`` records it.

    Raises:
        NotFoundError: No run is active, or its folder is gone.
    """
    info = active_run(graph)
    if info is None or not info.get("path"):
        raise NotFoundError("no model run is active: give --run RUN_DIR")
    path = Path(info["path"])
    if not path.is_dir():
        raise NotFoundError(f"the run folder {path} does not exist any more: give --run RUN_DIR")
    return path


def score_pair(graph: Graph, user_id: int, movie_id: int, run: TrainedRun | None = None) -> PairScore:
    """Score ``(user_id, movie_id)`` with ``run`` (default: the active run, loaded from its folder).

    When ``run`` is the active run, the predicted rating is also read from Cypher (``cypher_rating``).

    Raises:
        NotFoundError: No active run, or the user or movie is not in the run.
    """
    if run is None:
        run = load_run(active_run_dir(graph))
    (ui,), (user_known,) = positions(run.user_ids, [user_id])
    (mi,), (movie_known,) = positions(run.movie_ids, [movie_id])
    if not user_known:
        raise NotFoundError(f"userId {user_id} is not in run {run.run_id}")
    if not movie_known:
        raise NotFoundError(f"movieId {movie_id} is not in run {run.run_id}")
    context = graph.read(cypher.load("read_pair"), userId=user_id, movieId=movie_id)
    scores = run.score(torch.tensor([int(ui)]))[0]
    predicted = float(run.predict_rating(torch.tensor([int(ui)]), torch.tensor([int(mi)]))[0])
    (in_cypher,) = predict_ratings(graph, user_id, [movie_id])
    same_run = in_cypher["runId"] == run.run_id
    return PairScore(
        user_id=user_id, movie_id=movie_id, run_id=run.run_id, score=float(scores[mi]), predicted_rating=predicted,
        score_rank=int((scores > scores[mi]).sum()) + 1, movies=len(run.movie_ids),
        title=context[0]["title"] if context else None,
        rating=context[0]["rating"] if context else None,
        recommended_rank=context[0]["rank"] if context else None,
        cypher_rating=in_cypher["predictedRating"] if same_run else None, active_run_id=in_cypher["runId"],
    )
