"""Write a trained run back into Neo4j: top-K recommendations, embeddings, the rating model, provenance.

What lands in the graph (names in :mod:`movierec.core.schema`):

* ``(:User)-[:RECOMMENDED {score, predictedRating, rank, runId}]->(:Movie)``: for every user of the run, the ``k``
  best-scored movies that user has **not** rated in Neo4j now: every rating of the run's export (validation and
  test ratings included) plus those of users whose ratings changed since, read again (:mod:`movierec.gnn.serving.rated`;
  every pair is read from the graph for a run trained from a file or a filtered export);
* ``User.embedding`` / ``Movie.embedding`` (``LIST<FLOAT>``), with the cosine vector index ``movie_embedding``,
  dimensions taken from the run (no query looks users up by vector: ``User.embedding`` has no index);
* the run's rating model (a :class:`~movierec.gnn.models.scorers.LinearScorer`): ``User.ratingBias`` /
  ``Movie.ratingBias`` (FLOAT) and ``User.ratingFactors`` / ``Movie.ratingFactors`` (``LIST<FLOAT>``), with the
  offset and the clamp on the ModelRun, so that ``cypher/predict_rating.cypher`` gives any pair's predicted rating
  in Cypher: ``ratingOffset + u.ratingBias + m.ratingBias + <u.ratingFactors, m.ratingFactors>`` clamped to
  ``[ratingMin, ratingMax]``, equal to ``TrainedRun.predict_rating``;
* ``(:Movie)-[:SIMILAR {score, rank, runId}]->(:Movie)``: each movie's most similar movies by co-ratings, from the
  run's ``similar.pt`` (:mod:`movierec.gnn.serving.similar_writeback`; none for older runs);
* ``(:ModelRun {runId, model, createdAt, params, metrics, active, path, similarK, ratingOffset, ratingMin,
  ratingMax, ratingsReadAt, recommendedK})``, params and metrics as JSON strings, ``path`` the run's folder (so that
  ``movierec score`` can load the model), ``ratingsReadAt`` when its training data was exported (what
  ``movierec refresh`` compares rating changes with) and ``recommendedK`` the ``k`` written.

**Atomic from the reader's point of view.** Every query reads the run whose ModelRun is ``active``, and only its
relationships (``RECOMMENDED`` / ``SIMILAR {runId: run.runId}``) and the node properties that switch with it. A
writeback:

1. merges its ModelRun, inactive, with its rating offset and range;
2. writes the new embeddings and rating biases and factors to *staging* properties (``stagedEmbedding``,
   ``stagedRatingBias``, ``stagedRatingFactors``, ``stagedRunId``; :mod:`movierec.gnn.serving.staging`), so the active
   run's ``embedding``, ``ratingBias`` and ``ratingFactors``, which queries and the vector index read, stay whole;
3. writes the new run's RECOMMENDED relationships, tagged with its runId, one transaction per batch of users; each
   user's are replaced in the same transaction (delete that user's relationships of this run, create the new ones),
   so a user has all or none of them; then the run's SIMILAR relationships the same way, per batch of movies;
4. checks that every user got theirs, then switches in **one** transaction (``cypher/activate_run.cypher``): the new
   run becomes active, the old one inactive, and the staged properties replace ``embedding``, ``ratingBias`` and
   ``ratingFactors`` (nodes the new run does not cover lose theirs, so no node keeps a vector or a rating
   parameter of another run, and ``predict_rating`` answers null for them);
5. after the switch, fixes the vector index (one of other dimensions is dropped and recreated;
   ``CALL db.awaitIndexes()`` waits until it is ONLINE), then deletes every other run's RECOMMENDED and SIMILAR
   relationships and stale staged properties in batches.

If the process dies before step 4, nothing readers see has changed: the previous run is still active with its
relationships, embeddings and rating model intact. Running the writeback of the same run again finishes the job:
users that already hold the run's relationships are skipped, the others are (re)written; staging is never skipped: a
resumed writeback restages every node (embeddings and rating model). If it dies after step 4, the new run is complete
and active; a rerun restages and switches again (to the same values) and repeats the cleanup. When two writebacks
race, the one that switches first wins; the other finds out (the winner's cleanup deleted its relationships, or the
run it would replace is not the one active when it began), deletes what is left of its relationships, switches
nothing and says which run became active; running it again makes it active. While the index dimensions change (a
new run with another embedding size), ``similar_by_embedding`` fails for the seconds it takes to rebuild the index;
recommendations, SIMILAR and predicted ratings are not affected.

Scoring and top-K: :mod:`movierec.gnn.serving.topk`; the vector index: :mod:`movierec.gnn.serving.vector_index`.

Example:
    >>> with connect(Neo4jSettings.resolve()) as graph:
    ...     result = write_back(graph, load_run("runs/20260101-120000-ease"), k=20)
"""

from __future__ import annotations

import json
import logging
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from neo4j import ManagedTransaction
from neo4j.exceptions import DriverError, Neo4jError

from movierec import cypher
from movierec.core.db import Graph
from movierec.core.errors import MovierecError, WritebackError
from movierec.core.progress import Phases, ProgressFactory
from movierec.cypher.admin import await_indexes, create_writeback_indexes
from movierec.gnn.models.registry import MODELS
from movierec.gnn.serving.rated import rated_pairs
from movierec.gnn.serving.similar_writeback import delete_stale_similar, run_similar, write_similar
from movierec.gnn.serving.staging import checked_embeddings, checked_rating_model, memory_advice, stage_nodes
from movierec.gnn.serving.topk import DEFAULT_CHUNK_SIZE, DEFAULT_K, ScoringRun, score_users
from movierec.gnn.serving.vector_index import ensure_vector_indexes

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 200  # users per write transaction (x k relationships each)
DEFAULT_EMBEDDING_BATCH_SIZE = 2_000  # nodes per write transaction
DEFAULT_DELETE_BATCH_SIZE = 10_000
DEFAULT_WORKERS = 3  # write transactions in flight at once (users are disjoint across batches)


@dataclass
class WritebackResult:
    """What a writeback did.

    Attributes:
        run_id (str): The run written, now active.
        k (int): Recommendations per user asked for.
        previous_run_ids (list[str]): The runs it replaced (normally one, or none).
        users (int): Users that hold the run's recommendations.
        resumed_users (int): Users skipped because an interrupted writeback had written them.
        recommendations (int): RECOMMENDED relationships written by this call.
        embeddings (int): User and movie nodes staged (embedding and rating model) and swapped in.
        similar (int): SIMILAR relationships written by this call (0 for a run without ``similar.pt``).
        dimensions (int): Embedding size.
        deleted (int): Relationships of replaced runs deleted.
        skipped_user_ids (int): Users of the run that are not in the graph.
        skipped_movie_ids (int): Movies of the run that are not in the graph.
        scoring_s (float): Seconds spent scoring and picking the top-K.
        writing_s (float): Seconds spent writing embeddings, recommendations and similar movies.
        total_s (float): Seconds for the whole writeback.
        step_seconds (dict[str, float]): Seconds per step (reading the graph, staging embeddings, ...).
    """

    run_id: str
    k: int = 0
    previous_run_ids: list[str] = field(default_factory=list)
    users: int = 0
    resumed_users: int = 0
    recommendations: int = 0
    embeddings: int = 0
    similar: int = 0
    dimensions: int = 0
    deleted: int = 0
    skipped_user_ids: int = 0
    skipped_movie_ids: int = 0
    scoring_s: float = 0.0
    writing_s: float = 0.0
    total_s: float = 0.0
    step_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def rows_per_s(self) -> float:
        """Rows written (relationships + embeddings) per second of writing."""
        rows = self.recommendations + self.similar + self.embeddings
        return rows / self.writing_s if self.writing_s > 0 else 0.0



def write_back(
    graph: Graph,
    run: ScoringRun,
    k: int = DEFAULT_K,
    batch_size: int = DEFAULT_BATCH_SIZE,
    embedding_batch_size: int = DEFAULT_EMBEDDING_BATCH_SIZE,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    delete_batch_size: int = DEFAULT_DELETE_BATCH_SIZE,
    progress: ProgressFactory | None = None,
    workers: int = DEFAULT_WORKERS,
) -> WritebackResult:
    """Write ``run``'s recommendations and embeddings into Neo4j and make it the active run.

    See the module docstring for the order of writes and why readers never see a half-written run.

    Args:
        graph (Graph): The database holding the users, movies and ratings the run was trained on.
        run (ScoringRun): The trained run (``movierec.gnn.training.run.load_run(path)``).
        k (int): Recommendations per user. (default: ``20``)
        batch_size (int): Users per write transaction. (default: ``200``)
        embedding_batch_size (int): Nodes per embedding write transaction. (default: ``2000``)
        chunk_size (int): Most users scored at once (scores held are also capped, ``topk.SCORE_BUDGET``).
            (default: ``8192``)
        delete_batch_size (int): Relationships per transaction when deleting the old run's.
            (default: ``10000``)
        progress (ProgressFactory, optional): Makes one progress bar per phase. (default: none)
        workers (int): Write transactions in flight at once; batches hold disjoint users and
            write in movieId order, so they neither duplicate nor deadlock. (default: ``3``)

    Returns:
        WritebackResult: Counts and timings.

    Raises:
        WritebackError: Bad arguments, a run that does not fit the graph (no common users or
            movies), non-finite or oversized embeddings, a non-finite rating model or one that does not
            fit the run, or a failed write. The previous run stays active; rerunning finishes the job.
    """
    for name, value in (("k", k), ("batch_size", batch_size), ("embedding_batch_size", embedding_batch_size),
                        ("chunk_size", chunk_size), ("delete_batch_size", delete_batch_size),
                        ("workers", workers)):
        if value < 1:
            raise WritebackError(f"{name} must be at least 1, got {value}")
    started = time.perf_counter()
    result = WritebackResult(run_id=run.run_id, k=k)
    steps = _Steps(result.step_seconds)
    phases = Phases(progress)
    step = steps.start("preparing")
    try:
        user_emb, movie_emb = checked_embeddings(run)
        rating = checked_rating_model(run)
        result.dimensions = int(user_emb.shape[1])
        similar = run_similar(run)

        step = steps.start("reading the graph")
        create_writeback_indexes(graph)
        # ingest creates them (and Neo4j fills them in the background); for a graph loaded otherwise, filling
        # the rating-timestamp index here rather than beside scoring: it took the cores scoring needs
        await_indexes(graph)
        ids = graph.read(cypher.load("read_node_ids"))[0]
        graph_users, graph_movies = set(ids["userIds"]), set(ids["movieIds"])
        user_in_graph = torch.tensor([uid in graph_users for uid in run.user_ids], dtype=torch.bool)
        movie_in_graph = torch.tensor([mid in graph_movies for mid in run.movie_ids], dtype=torch.bool)
        result.skipped_user_ids = int((~user_in_graph).sum())
        result.skipped_movie_ids = int((~movie_in_graph).sum())
        if not bool(user_in_graph.any()) or not bool(movie_in_graph.any()):
            raise WritebackError(
                f"run {run.run_id} has {len(run.user_ids)} users and {len(run.movie_ids)} movies, of which "
                f"{int(user_in_graph.sum())} users and {int(movie_in_graph.sum())} movies are in database "
                f"{graph.database!r}: is this the graph it was trained on?"
            )
        if result.skipped_user_ids or result.skipped_movie_ids:
            logger.warning("run %s: %s users and %s movies are not in the graph; skipped",
                           run.run_id, result.skipped_user_ids, result.skipped_movie_ids)
        # the ratings the run's scores reflect: those of its export (else those read now, for a run from a file)
        ratings_read_at = getattr(run, "ratings_read_at", None) or graph.read(
            cypher.load("read_server_time"))[0]["now"].iso_format()
        rated = rated_pairs(graph, run)
        done = {r["userId"] for r in graph.read(cypher.load("read_written_users"), runId=run.run_id)}
        active_before = _active_run_ids(graph)

        step = steps.start("recording the run")
        graph.write(
            cypher.load("merge_model_run"), runId=run.run_id, model=_describe(run),
            params=json.dumps(_params(run.config), sort_keys=True, default=str),
            metrics=json.dumps(run.metrics, sort_keys=True, default=str), path=str(Path(run.path).resolve()),
            ratingOffset=rating.offset, ratingMin=float(run.rating_range[0]), ratingMax=float(run.rating_range[1]),
            ratingsReadAt=ratings_read_at, recommendedK=k,
        )

        todo = torch.tensor(
            [i for i, uid in enumerate(run.user_ids) if bool(user_in_graph[i]) and uid not in done], dtype=torch.long
        )
        result.resumed_users = len(done)
        if done:
            logger.info("run %s: resuming, %s users already written", run.run_id, len(done))

        # every user scored before the first write: both cores, no writer threads or server work beside it
        step = steps.start("scoring")
        scoring_started = time.perf_counter()
        phases.start("scoring", len(todo))
        ranked = score_users(run, rated, k, todo, ~movie_in_graph, chunk_size, phases.advance)
        result.scoring_s = time.perf_counter() - scoring_started

        step = steps.start("staging embeddings")
        write_started = time.perf_counter()
        result.embeddings = stage_nodes(graph, run, user_emb, movie_emb, rating, user_in_graph, movie_in_graph,
                                        embedding_batch_size, phases, workers)

        step = steps.start("writing recommendations")
        phases.start("recommendations", ranked.count())
        counter = _RowCounter(phases)
        graph.write_batches(cypher.load("write_recommendations"), ranked.rows(counter.produced), batch_size=batch_size,
                            on_batch=counter.batch, workers=workers, runId=run.run_id)
        result.recommendations = counter.rows

        if similar is not None:
            step = steps.start("writing similar movies")
            result.similar = write_similar(graph, run, similar, movie_in_graph, phases=phases)
        result.writing_s = time.perf_counter() - write_started

        step = steps.start("checking completeness")
        written = {r["userId"] for r in graph.read(cypher.load("read_written_users"), runId=run.run_id)}
        expected = {uid for i, uid in enumerate(run.user_ids) if bool(user_in_graph[i])}
        missing = expected - written - counter.empty_users
        active_now = _active_run_ids(graph) if missing else active_before  # one read, only when something is missing
        if active_now != active_before:
            raise RunSwitchedError(active_now)
        if missing:
            raise WritebackError(f"{len(missing)} users got no recommendations (e.g. userId {min(missing)})")
        result.users = len(written)

        step = steps.start("activating the run")
        result.previous_run_ids = _activate(graph, run.run_id, active_before)
        logger.info("run %s is active (replaced %s)", run.run_id, result.previous_run_ids or "nothing")

        step = steps.start("indexing embeddings")
        phases.start("vector index", 0)
        ensure_vector_indexes(graph, result.dimensions)

        step = steps.start("deleting replaced recommendations")
        phases.start("cleanup", 0)
        summary = graph.run_autocommit(cypher.load("delete_stale_recommendations"), runId=run.run_id,
                                       batchSize=delete_batch_size)
        result.deleted = summary.counters.relationships_deleted + delete_stale_similar(graph, run.run_id,
                                                                                       delete_batch_size)
        graph.run_autocommit(cypher.load("clear_staged_embeddings"), batchSize=delete_batch_size)
    except RunSwitchedError as e:
        for statement in cypher.statements("delete_run_writes"):
            graph.run_autocommit(statement, runId=run.run_id, batchSize=delete_batch_size)
        raise WritebackError(
            f"run {', '.join(e.run_ids) or '(none)'} became active while this writeback of run {run.run_id} ran; it "
            f"stays active and what this writeback wrote is deleted. Run the writeback of {run.run_id} again to "
            f"make it active (movierec writeback {run.path})."
        ) from e
    except WritebackError:
        raise
    except (Neo4jError, DriverError, MovierecError) as e:
        raise WritebackError(
            f"writeback of run {run.run_id} failed while {step}: {e}. "
            + ("The run is active; rerun to finish the cleanup."
               if step in {"indexing embeddings", "deleting replaced recommendations"}
               else "The previous run stays active; rerun the writeback to finish.")
            + memory_advice(e, step)
        ) from e
    finally:
        phases.close()
    steps.start("done")
    result.total_s = time.perf_counter() - started
    logger.info("writeback of %s: %s", run.run_id, ", ".join(f"{k} {v:.2f} s" for k, v in result.step_seconds.items()))
    return result


class _Steps:
    """Records how long each named step of the writeback takes."""

    def __init__(self, seconds: dict[str, float]) -> None:
        self.seconds = seconds
        self.name: str | None = None
        self.since = time.perf_counter()

    def start(self, name: str) -> str:
        now = time.perf_counter()
        if self.name is not None:
            self.seconds[self.name] = self.seconds.get(self.name, 0.0) + now - self.since
        self.name, self.since = name, now
        return name


class _RowCounter:
    """Counts relationships per committed batch: rows are per user, progress is per relationship."""

    def __init__(self, phases: Phases) -> None:
        self.phases = phases
        self.rows = 0
        self.empty_users: set[int] = set()
        self.pending: deque[int] = deque()

    def produced(self, user_id: int, recs: int) -> None:
        self.pending.append(recs)
        if recs == 0:
            self.empty_users.add(user_id)

    def batch(self, users: int) -> None:
        rows = sum(self.pending.popleft() for _ in range(users))
        self.rows += rows
        self.phases.advance(rows)


def _describe(run: Any) -> str:
    """``ModelRun.model``: the run's model in words (``combined`` names its parts)."""
    return MODELS[run.model].describe(run.config) if run.model in MODELS else str(run.model)


def _params(config: Any) -> Any:
    """A run's config as JSON-ready data (a config dataclass becomes its dict)."""
    return config.to_dict() if hasattr(config, "to_dict") else config


class RunSwitchedError(WritebackError):
    """Another writeback made its run active while this one ran (its cleanup deletes this run's relationships).

    Args:
        run_ids (list[str]): The runs active now.
    """

    def __init__(self, run_ids: list[str]) -> None:
        super().__init__(f"run {', '.join(run_ids)} became active meanwhile")
        self.run_ids = run_ids


def _active_run_ids(graph: Graph) -> list[str]:
    return sorted(r["runId"] for r in graph.read(cypher.load("read_active_run")))


def _activate(graph: Graph, run_id: str, active_before: list[str]) -> list[str]:
    """Run ``activate_run``'s statements in one managed transaction; return the replaced run ids.

    Raises:
        RunSwitchedError: The run being replaced is not the one active when this writeback began (another
            writeback switched meanwhile); nothing is switched.
    """
    statements = cypher.statements("activate_run")
    expected = sorted(r for r in active_before if r != run_id)

    def work(tx: ManagedTransaction) -> list[str]:
        previous: list[str] = []
        for i, statement in enumerate(statements):
            records = list(tx.run(statement, runId=run_id))
            if i == 0:
                if not records:
                    raise WritebackError(f"ModelRun {run_id!r} vanished before activation")
                previous = list(records[0]["previous"])
                if sorted(previous) != expected:
                    raise RunSwitchedError(sorted(previous))  # rolls the transaction back
        return previous

    with graph.driver.session(database=graph.database) as session:
        return session.execute_write(work)
