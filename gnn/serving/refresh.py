"""Fresh recommendations under the active run: fold-in scoring of the ratings the graph holds now.

``movierec refresh`` (:func:`refresh`) first folds in the movies the active run has no place for
(:func:`refresh_movies`, ``gnn/serving/new_movies.py``), then rewrites ``RECOMMENDED`` for every user whose
ratings changed since the active run read them, and for every user who has ratings but no recommendations (the
rule, in full, is the header of ``cypher/read_changed_users.cypher``). Per batch of users it

1. reads their current ratings, with the server's time of the read (``cypher/read_user_ratings.cypher``);
2. scores every movie by fold-in (:mod:`movierec.gnn.serving.foldin`), rated movies and movies missing from the graph
   excluded, and keeps the top ``k`` with predicted ratings;
3. replaces their recommendations of the active run in **one** transaction
   (``cypher/refresh_recommendations.cypher``), stamping ``User.refreshedAt`` with the time of the read.

A rating that lands after step 1 is newer than ``refreshedAt`` (and a write in flight during it counts up
``User.ratingsVersion`` past the version read with the ratings), so the next refresh picks the user up again:
nothing is lost, and a user's list is the old one or the new one, never a mix. Interrupting a refresh
(Ctrl-C) loses only the batch in flight, which the next refresh redoes.

:func:`fresh_recommendations` answers one user straight from fold-in scoring, without writing
(``movierec recommend --fresh``).

Example:
    >>> with connect(Neo4jSettings.resolve()) as graph:           # doctest: +SKIP
    ...     refresh(graph).users
    3
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from movierec import cypher
from movierec.core.db import Graph
from movierec.core.errors import NotFoundError
from movierec.core.progress import Phases, ProgressFactory
from movierec.cypher.queries import Recommendations, active_run, check_genre
from movierec.gnn.data.ids import positions
from movierec.gnn.models.scorers import LinearScorer
from movierec.gnn.serving.foldin import FoldIn, FreshRecommendations, UserRatings
from movierec.gnn.serving.movie_foldin import Catalogue
from movierec.gnn.serving.new_movies import (
    DEFAULT_LIMIT,
    CoRatings,
    fold_new_movies,
    read_catalogue,
    read_folded_movies,
    read_new_movies,
    read_refold_movies,
    write_folded_movies,
)
from movierec.gnn.serving.topk import DEFAULT_K
from movierec.gnn.training.run_dir import TrainedRun, load_run

logger = logging.getLogger(__name__)

DEFAULT_REFRESH_BATCH = 200  # users read, scored and rewritten per transaction


class StaleRunError(NotFoundError):
    """The run a refresh scored with is no longer the active one (another run was switched in meanwhile)."""


@dataclass
class RefreshResult:
    """What one refresh did.

    Attributes:
        run_id (str): The active run the recommendations were written under.
        users (int): Users refreshed.
        recommendations (int): RECOMMENDED relationships written.
        new_users (int): Refreshed users the run was not trained on (scored by fold-in alone).
        new_movies (int): Movies the run had no place for, folded in (embedding, rating model, SIMILAR).
        refolded_movies (int): Movies folded earlier, folded again from their ratings since (at least doubled).
        seconds (dict[str, float]): Seconds finding, reading, scoring and writing.
    """

    run_id: str
    users: int = 0
    recommendations: int = 0
    new_users: int = 0
    new_movies: int = 0
    refolded_movies: int = 0
    seconds: dict[str, float] | None = None


class ActiveFoldIn:
    """The active run, loaded once and reloaded when another run becomes active (``refresh --watch``).

    Args:
        graph (Graph): The database.
        run_dir (str | Path, optional): Score with this run directory instead of the one ``ModelRun.path``
            names (it must still be the active run's).
    """

    def __init__(self, graph: Graph, run_dir: str | Path | None = None) -> None:
        self.graph = graph
        self.run_dir = run_dir
        self._fold: FoldIn | None = None
        self._exclude: Tensor | None = None
        self._catalogue: Catalogue | None = None
        self._co_ratings: CoRatings | None = None
        self._co_ratings_run = ""
        self._folded_version = -1  # the run's foldedMovies when its folds were loaded
        self.recommended_k = DEFAULT_K  # the top-K the active run was written with

    def get(self) -> tuple[FoldIn, Tensor]:
        """The fold-in scorer of the active run and its ``[M]`` mask of movies not in the graph.

        Raises:
            NotFoundError: No run is active, its folder is gone, or ``run_dir`` is not the active run.
        """
        info = active_run(self.graph)
        if info is None:
            raise NotFoundError("no model run is active: train and write one back first (movierec pipeline)")
        self.recommended_k = int(info.get("recommendedK") or DEFAULT_K)
        if self._fold is not None and self._fold.run.run_id == info["runId"]:
            if self._folded_version != info.get("foldedMovies", 0):  # refresh folded movies in since: score them too
                self._add_folds(info)
            assert self._exclude is not None
            return self._fold, self._exclude
        path = Path(self.run_dir or info.get("path") or "")
        if not (path / "config.json").is_file():
            raise NotFoundError(f"the active run's folder {str(path)!r} does not exist any more: give --run RUN_DIR")
        run = load_run(path)
        if run.run_id != info["runId"]:
            raise NotFoundError(f"{path} is run {run.run_id}, but the active run is {info['runId']}")
        self._catalogue = None
        self._load(run, info)
        logger.info("fold-in scoring with run %s (%s)", run.run_id, path)
        assert self._fold is not None and self._exclude is not None
        return self._fold, self._exclude

    def _load(self, run: TrainedRun, info: dict[str, Any]) -> None:
        """The fold-in scorer of ``run`` with the movies folded into it since (``new_movies.py``), and the mask."""
        ids = self.graph.read(cypher.load("read_node_ids"))[0]
        _, in_graph = positions(ids["movieIds"], run.movie_ids)
        fold, exclude = FoldIn(run), ~torch.from_numpy(in_graph)
        fold.popular()  # the prior's counts, loaded now rather than by the first user scored
        if isinstance(run.rank_scorer, LinearScorer):
            folded = read_folded_movies(self.graph, run.run_id)
            if folded.movie_ids:
                fold.extend(folded.movie_ids, folded.rank_vectors, folded.rank_bias, folded.rating_factors,
                            folded.rating_bias, torch.tensor(folded.known_ratings))
                exclude = torch.cat([exclude, torch.zeros(len(folded.movie_ids), dtype=torch.bool)])
        self._fold, self._exclude, self._folded_version = fold, exclude, info.get("foldedMovies", 0)

    def _add_folds(self, info: dict[str, Any]) -> None:
        """Add the movies folded into the loaded run since it was loaded, and the new rows of those folded again (a
        full load if one went away)."""
        assert self._fold is not None and self._exclude is not None
        fold = self._fold
        loaded = set(fold.movie_ids[len(fold.run.movie_ids):])
        folded = read_folded_movies(self.graph, fold.run.run_id)
        if not loaded <= set(folded.movie_ids):
            self._load(fold.run, info)
            return
        if folded.movie_ids:  # new folds append, folds again replace their rows (FoldIn.extend)
            fold.extend(folded.movie_ids, folded.rank_vectors, folded.rank_bias, folded.rating_factors,
                        folded.rating_bias, torch.tensor(folded.known_ratings))
            grown = fold.num_movies - len(self._exclude)
            self._exclude = torch.cat([self._exclude, torch.zeros(grown, dtype=torch.bool)])
        self._folded_version = info.get("foldedMovies", 0)

    def co_ratings(self, fold: FoldIn) -> CoRatings:
        """The ratings of ``fold``'s run arranged for new movies' co-ratings: built once per run."""
        if self._co_ratings is None or self._co_ratings_run != fold.run.run_id:
            self._co_ratings, self._co_ratings_run = CoRatings.of(fold.run), fold.run.run_id
        return self._co_ratings

    def catalogue(self, fold: FoldIn) -> Catalogue:
        """The movies of ``fold``'s run (the one :meth:`get` loaded) as content, for folding new movies in: read once
        per run."""
        if self._catalogue is None:
            self._catalogue = read_catalogue(self.graph, fold.run)
        return self._catalogue


def changed_users(graph: Graph, user_ids: list[int] | None = None) -> list[int]:
    """The users ``refresh`` would rewrite (``cypher/read_changed_users.cypher``), among ``user_ids`` if given."""
    if user_ids is None:
        return [r["userId"] for r in graph.read(cypher.load("read_changed_users"))]
    return [r["userId"] for r in graph.read(cypher.load("read_changed_among_users"), userIds=user_ids)]


def read_ratings(graph: Graph, user_ids: list[int]) -> tuple[list[UserRatings], Any]:
    """The users' current ratings (known users only, in ``user_ids`` order) and the server time of the read."""
    records = graph.read(cypher.load("read_user_ratings"), userIds=user_ids)
    users = [UserRatings(r["userId"], list(r["movieIds"]), [float(x) for x in r["ratings"]], int(r["version"]))
             for r in records]
    return users, (records[0]["readAt"] if records else None)


def refresh(graph: Graph, active: ActiveFoldIn | None = None, user_ids: list[int] | None = None,
            k: int | None = None, batch_size: int = DEFAULT_REFRESH_BATCH,
            progress: ProgressFactory | None = None, force: bool = False) -> RefreshResult:
    """Rewrite the recommendations of every changed user (or of the changed ones among ``user_ids``).

    Args:
        graph (Graph): The database.
        active (ActiveFoldIn, optional): The loaded active run (kept between calls by ``--watch``).
        user_ids (list[int], optional): Only these users (still only if changed).
        k (int, optional): Recommendations per user. (default: as many as the active run's writeback wrote)
        batch_size (int): Users per transaction. (default: ``200``)
        progress (ProgressFactory, optional): Makes the progress bar.
        force (bool): Rewrite every one of ``user_ids`` (those in the graph), changed or not. (default: ``False``)

    Raises:
        NotFoundError: No active run, or its folder is gone.
    """
    active = active or ActiveFoldIn(graph)
    fold, exclude = active.get()
    k = k or active.recommended_k
    seconds = {"finding": 0.0, "reading": 0.0, "scoring": 0.0, "writing": 0.0}
    result = RefreshResult(run_id=fold.run.run_id, seconds=seconds)
    t0 = time.perf_counter()
    todo = sorted(set(user_ids)) if force and user_ids is not None else changed_users(graph, user_ids)
    seconds["finding"] = time.perf_counter() - t0
    known = set(fold.run.user_ids)
    if user_ids is None:  # a full refresh also gives the movies the run never saw their place
        counts: dict[str, int] = {}
        if refresh_movies(graph, active, fold, seconds, counts):  # and users can be recommended them from now on
            result.new_movies, result.refolded_movies = counts["new"], counts["again"]
            fold, exclude = active.get()
    phases = Phases(progress)
    phases.start("refresh", len(todo))
    try:
        for start in range(0, len(todo), batch_size):
            batch = todo[start:start + batch_size]
            done = refresh_users(graph, fold, exclude, batch, k, seconds)
            result.users += len(done)
            result.recommendations += sum(len(r.movie_ids) for r in done)
            result.new_users += sum(1 for r in done if r.user_id not in known)
            phases.advance(len(batch))
    finally:
        phases.close()
    logger.info("refresh under %s: %s users, %s", result.run_id, result.users,
                ", ".join(f"{name} {s:.2f} s" for name, s in seconds.items()))
    return result


def refresh_movies(graph: Graph, active: ActiveFoldIn, fold: FoldIn, seconds: dict[str, float] | None = None,
                   counts: dict[str, int] | None = None) -> int:
    """Fold the movies the active run has no place for into it and write them (``gnn/serving/new_movies.py``), a
    batch of :data:`~movierec.gnn.serving.new_movies.DEFAULT_LIMIT` at a time until none is left; then fold again
    those folded earlier whose ratings have at least doubled since (``cypher/read_refold_movies.cypher``). Returns the
    movies written, both kinds (``counts``, if given, receives them apart: ``new`` and ``again``).

    Raises:
        StaleRunError: Another run became active since ``fold`` was loaded; nothing was written for the batch.
    """
    if not isinstance(fold.run.rank_scorer, LinearScorer):
        return 0  # ease's item weights cannot place a movie they never saw: it waits for the next training
    seconds = seconds if seconds is not None else {}
    counts = counts if counts is not None else {}
    for again in (False, True):  # the movies never folded, then those with enough new ratings to fold again
        counts["again" if again else "new"] = _fold_batches(graph, active, fold, seconds, again)
    return counts["new"] + counts["again"]


def _fold_batches(graph: Graph, active: ActiveFoldIn, fold: FoldIn, seconds: dict[str, float], again: bool) -> int:
    written = 0
    while True:
        t0 = time.perf_counter()
        movies = (read_refold_movies(graph, fold.run.run_id, DEFAULT_LIMIT) if again
                  else read_new_movies(graph, DEFAULT_LIMIT))
        t1 = time.perf_counter()
        seconds["reading"] = seconds.get("reading", 0.0) + t1 - t0
        if not movies:
            return written
        folded = fold_new_movies(fold.run, active.catalogue(fold), movies, co_ratings=active.co_ratings(fold))
        t2 = time.perf_counter()
        batch = write_folded_movies(graph, fold.run.run_id, folded)
        seconds["scoring"] = seconds.get("scoring", 0.0) + t2 - t1
        seconds["writing"] = seconds.get("writing", 0.0) + time.perf_counter() - t2
        if batch == 0 and (active_run(graph) or {}).get("runId") != fold.run.run_id:
            raise StaleRunError(f"run {fold.run.run_id} stopped being the active run during the refresh; no new "
                                "movie was written: refresh again")
        written += batch  # fewer than read: another refresh folded the others meanwhile
        if len(movies) < DEFAULT_LIMIT:
            return written


def refresh_users(graph: Graph, fold: FoldIn, exclude: Tensor, user_ids: list[int], k: int,
                  seconds: dict[str, float] | None = None) -> list[FreshRecommendations]:
    """Read, score and rewrite these users' recommendations now (one transaction), changed or not.

    Args:
        graph (Graph): The database.
        fold (FoldIn): The active run's fold-in scorer (:meth:`ActiveFoldIn.get`).
        exclude (Tensor): ``[M]`` movies never to recommend (not in the graph).
        user_ids (list[int]): The users (unknown ids are skipped).
        k (int): Recommendations per user.
        seconds (dict[str, float], optional): Adds the seconds spent ``reading``, ``scoring``, ``writing``.

    Returns:
        list[FreshRecommendations]: What was written, per user.

    Raises:
        StaleRunError: Another run became active since ``fold`` was loaded; nothing was written.
    """
    t0 = time.perf_counter()
    users, read_at = read_ratings(graph, user_ids)
    t1 = time.perf_counter()
    recs = fold.recommend(users, k=k, exclude=exclude)
    t2 = time.perf_counter()
    if recs:
        versions = {u.user_id: u.version for u in users}
        written = graph.write(cypher.load("refresh_recommendations"), runId=fold.run.run_id, readAt=read_at,
                              rows=[recommendation_row(r, versions[r.user_id]) for r in recs])[0]["users"]
        if written != len(recs):
            raise StaleRunError(f"run {fold.run.run_id} stopped being the active run during the refresh; "
                                f"nothing was written for this batch of {len(recs)} users: refresh again")
    if seconds is not None:
        for name, spent in (("reading", t1 - t0), ("scoring", t2 - t1), ("writing", time.perf_counter() - t2)):
            seconds[name] = seconds.get(name, 0.0) + spent
    return recs


def recommendation_row(recs: FreshRecommendations, version: int = 0) -> dict[str, Any]:
    """``{userId, version, ratingBias, ratingFactors, recs: [{movieId, score, predictedRating, rank}]}``, what the
    refresh query writes (``version``: the user's ``ratingsVersion`` as read with the ratings)."""
    return {"userId": recs.user_id, "version": version, "ratingBias": recs.rating_bias,
            "ratingFactors": recs.rating_factors, "recs": [
        {"movieId": m, "score": s, "predictedRating": p, "rank": i + 1}
        for i, (m, s, p) in enumerate(zip(recs.movie_ids, recs.scores, recs.predicted_ratings, strict=True))]}


def fresh_recommendations(graph: Graph, user_id: int, k: int = DEFAULT_K, active: ActiveFoldIn | None = None,
                          genre: str | None = None) -> tuple[str, FreshRecommendations]:
    """One user's top-``k`` by fold-in scoring of their current ratings, without writing anything.

    Args:
        graph (Graph): The database.
        user_id (int): The user's userId.
        k (int): How many. (default: ``20``)
        active (ActiveFoldIn, optional): The loaded active run.
        genre (str, optional): Rank only the movies of this genre.

    Returns:
        tuple: The active run's id and the recommendations (popularity for a user without ratings).

    Raises:
        NotFoundError: No such user, no active run, or its folder is gone.
    """
    active = active or ActiveFoldIn(graph)
    fold, exclude = active.get()
    users, _ = read_ratings(graph, [user_id])
    if not users:
        raise NotFoundError(f"no user with userId {user_id}")
    if genre is not None:
        in_genre = graph.read(cypher.load("read_genre_movies"), genre=genre)[0]["movieIds"]
        _, known = positions(in_genre, fold.movie_ids)  # once per request, sorting the genre's ids
        exclude = exclude | ~torch.from_numpy(known)
    return fold.run.run_id, fold.recommend(users, k=k, exclude=exclude)[0]


def fresh_recommend(graph: Graph, user_id: int, k: int = 10, genre: str | None = None,
                    active: ActiveFoldIn | None = None) -> Recommendations:
    """:func:`fresh_recommendations` as the rows ``recommend`` prints (titles, years, genres), optionally one genre.

    Raises:
        NotFoundError: No such user or genre, no active run, or its folder is gone.
    """
    check_genre(graph, genre)
    run_id, recs = fresh_recommendations(graph, user_id, k=k, active=active, genre=genre)
    movies = {r["movieId"]: dict(r) for r in graph.read(cypher.load("read_movies"), movieIds=recs.movie_ids)}
    rows = [{**movies[m], "rank": i + 1, "score": score, "predictedRating": rating}
            for i, (m, score, rating) in enumerate(zip(recs.movie_ids, recs.scores, recs.predicted_ratings,
                                                       strict=True)) if m in movies]
    note = (f"fold-in of {recs.known_ratings} ratings" if recs.known_ratings
            else "no ratings the run knows: its most popular movies")
    return Recommendations(user_id, "fresh", run_id=run_id, note=note, rows=rows)
