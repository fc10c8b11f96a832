"""Which movies each user has rated in the graph now: what a writeback must never recommend.

Reading every ``(user, movie)`` pair back from Neo4j costs a pass over all ratings (21 s of a 25M writeback). A
run trained on a whole-graph export already holds every pair as of the export (``split.pt``: train, validation
and test edges), and the graph marks what changed since: a ``RATED.timestamp``, or ``User.ratingsChangedAt``
(set by ingest and ``movierec rate`` whenever they create or change a rating, past timestamps included), at or
after the export's start (``ModelRun.ratingsReadAt``). So :func:`rated_pairs` takes the run's pairs, drops those of
the users changed since, and reads only those users' ratings from the graph.

It falls back to reading every pair when the run cannot vouch for its export: trained from a file (no export
time), exported with a filter (``--genre``, ``--users``, ``--rated-after``…: pairs outside the filter are not in
the run), or without its ``split.pt``. A rating deleted from the graph after the export (the product never deletes
ratings) would stay masked.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import numpy as np
import torch
from torch import Tensor

from movierec import cypher
from movierec.core.db import Graph
from movierec.core.errors import MovierecError
from movierec.cypher.queries import read_rated_pairs
from movierec.gnn.serving.topk import ScoringRun, rated_index

logger = logging.getLogger(__name__)

READ_BATCH = 5_000  # changed users whose ratings are read per query


def rated_pairs(graph: Graph, run: ScoringRun) -> tuple[Tensor, Tensor]:
    """Every pair rated in the graph now, as sorted ``(user_index, movie_index)`` tensors of ``run``
    (:func:`movierec.gnn.serving.topk.rated_index`'s layout); pairs of users or movies the run lacks are left out."""
    exported = _exported_pairs(run)
    if exported is None:
        return rated_index(run, read_rated_pairs(graph))
    since = getattr(run, "ratings_read_at", None)
    changed = sorted({r["userId"] for r in graph.read(cypher.load("read_users_rated_since"), since=since)})
    users, movies = exported
    user_ids: list[int] = []
    movie_ids: list[int] = []
    for start in range(0, len(changed), READ_BATCH):
        for record in graph.read(cypher.load("read_user_ratings"), userIds=changed[start : start + READ_BATCH]):
            user_ids.extend([record["userId"]] * len(record["movieIds"]))
            movie_ids.extend(record["movieIds"])
    logger.info("rated pairs: %s from the run's export, %s users changed since %s re-read", len(users),
                len(changed), since)
    if changed:
        known = np.asarray(run.user_ids, dtype=np.int64)
        stale = torch.from_numpy(np.isin(known, np.asarray(changed, dtype=np.int64)))
        keep = ~stale[users]
        fresh_users, fresh_movies = rated_index(
            run, (np.asarray(user_ids, dtype=np.int64), np.asarray(movie_ids, dtype=np.int64)))
        users = torch.cat([users[keep], fresh_users])
        movies = torch.cat([movies[keep], fresh_movies])
    order = torch.argsort(users, stable=True)
    return users[order].contiguous(), movies[order].contiguous()


def _exported_pairs(run: Any) -> tuple[Tensor, Tensor] | None:
    """The run's exported pairs as indices, or ``None`` when they may not be every rating of the graph."""
    if not getattr(run, "ratings_read_at", None) or not hasattr(run, "split"):
        return None
    try:
        meta = json.loads((run.path / "config.json").read_text(encoding="utf-8"))
        edge_index, _, _ = run.split()
    except (OSError, ValueError, KeyError, RuntimeError, MovierecError) as e:
        logger.info("run %s: reading every rated pair from the graph (%s)", run.run_id, e)
        return None
    where = meta.get("where") or {}
    if any(value not in (None, [], "", False) for value in where.values()):
        return None  # a filtered export: ratings outside the filter are not in the run
    return edge_index[0].long(), edge_index[1].long()
