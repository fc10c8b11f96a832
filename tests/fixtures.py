"""Shared test helpers: small releases ingested through `movierec ingest`, runs of a known shape, brute-force top-K.

Graphs are built by the product's own ingest from release files the tests write (never with hand-written
CREATE statements), so a change in what ingest writes breaks these fixtures as it breaks users.
"""

from __future__ import annotations

import random
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from movierec.core.db import Graph
from movierec.gnn.models.scorers import LinearScorer
from movierec.ingest.load import ingest_release


@dataclass
class FixedRun:
    """A run with seeded embeddings: score(u, m) = <user_emb[u], movie_emb[m]>.

    Its rating model is linear, as every real run's: ``3 + user_bias[u] + movie_bias[m] + <user_emb[u],
    movie_emb[m]> / 4`` clamped to ``rating_range``, with seeded biases.
    """

    run_id: str
    user_ids: list[int]
    movie_ids: list[int]
    dims: int = 8
    seed: int = 0
    model: str = "fixed"
    path: Path = Path("/nonexistent/run")
    config: dict[str, Any] = field(default_factory=lambda: {"dims": 8})
    metrics: dict[str, Any] = field(default_factory=lambda: {"recall@10": 0.25})
    rating_range: tuple[float, float] = (0.5, 5.0)

    def __post_init__(self) -> None:
        g = torch.Generator().manual_seed(self.seed)
        self.user_emb = torch.randn(len(self.user_ids), self.dims, generator=g)
        self.movie_emb = torch.randn(len(self.movie_ids), self.dims, generator=g)
        self.rating_scorer = LinearScorer(
            self.user_emb / 2, self.movie_emb / 2, torch.randn(len(self.user_ids), generator=g) / 2,
            torch.randn(len(self.movie_ids), generator=g) / 2, 3.0,
        )

    def embeddings(self) -> tuple[Tensor, Tensor]:
        return self.user_emb, self.movie_emb

    def score(self, user_index: Tensor) -> Tensor:
        return self.user_emb[user_index] @ self.movie_emb.T

    def predict_rating(self, user_index: Tensor, movie_index: Tensor) -> Tensor:
        return self.rating_scorer.pairs(user_index, movie_index).clamp(*self.rating_range)


N_USERS, N_MOVIES = 30, 40


def make_graph(graph: Graph, n_users: int = N_USERS, n_movies: int = N_MOVIES, seed: int = 1) -> set[tuple[int, int]]:
    """Users 100.., movies 1000.. (even ids Comedy, odd Drama, year 2000), each user rating a seeded ~30% of movies.

    User 100 rated every movie but three; user 101 rated none. Written as an ml-1m release (``users.dat``
    lists every user, so user 101 exists without ratings) and loaded with :func:`ingest_release`.
    Returns the rated pairs.
    """
    rng = random.Random(seed)
    pairs: set[tuple[int, int]] = set()
    for u in range(n_users):
        uid = 100 + u
        if uid == 100:
            chosen = list(range(3, n_movies))
        elif uid == 101:
            chosen = []
        else:
            chosen = [m for m in range(n_movies) if rng.random() < 0.3]
        pairs |= {(uid, 1000 + m) for m in chosen}
    movies = [f"{mid}::Movie {mid} (2000)::{'Comedy' if mid % 2 == 0 else 'Drama'}"
              for mid in range(1000, 1000 + n_movies)]
    users = [f"{100 + u}::M::25::0::00000" for u in range(n_users)]
    ratings = [f"{u}::{m}::4::1577836800" for u, m in sorted(pairs)]  # 2020-01-01T00:00:00Z
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "ml-1m"
        folder.mkdir()
        for name, lines in (("movies.dat", movies), ("users.dat", users), ("ratings.dat", ratings)):
            (folder / name).write_text("\n".join(lines) + "\n", encoding="latin-1")
        ingest_release(graph, folder, dataset="ml-1m")
    return pairs


def expected_top_k(run: FixedRun, rated: set[tuple[int, int]], k: int) -> dict[int, list[int]]:
    """Brute force in plain Python: each user's k best unrated movieIds."""
    users = run.user_emb.tolist()
    movies = run.movie_emb.tolist()
    out = {}
    for ui, uid in enumerate(run.user_ids):
        scored = [
            (-sum(a * b for a, b in zip(users[ui], movies[mi], strict=True)), mid)
            for mi, mid in enumerate(run.movie_ids)
            if (uid, mid) not in rated
        ]
        out[uid] = [mid for _, mid in sorted(scored)[:k]]
    return out


def written(graph: Graph, run_id: str) -> dict[int, list[tuple[int, int, float, float]]]:
    """userId -> [(rank, movieId, score, predictedRating)] of a run, by rank."""
    out: dict[int, list[tuple[int, int, float, float]]] = {}
    for r in graph.read(
        "MATCH (u:User)-[r:RECOMMENDED {runId: $runId}]->(m:Movie) "
        "RETURN u.userId AS u, r.rank AS rank, m.movieId AS m, r.score AS s, r.predictedRating AS p "
        "ORDER BY u, rank",
        runId=run_id,
    ):
        out.setdefault(r["u"], []).append((r["rank"], r["m"], r["s"], r["p"]))
    return out


def users_and_movies(n_users: int = N_USERS, n_movies: int = N_MOVIES) -> tuple[list[int], list[int]]:
    # reversed order: tensor index i is not userId - 100, so the id mapping is exercised
    return [100 + u for u in reversed(range(n_users))], [1000 + m for m in range(n_movies)]



class RecordingBars:
    """A progress factory that records each phase and every step (the shape of a tqdm factory)."""

    def __init__(self) -> None:
        self.phases: list[tuple[str, int]] = []
        self.advanced = 0
        self.closed = 0

    def __call__(self, phase: str, total: int) -> RecordingBars:
        self.phases.append((phase, total))
        return self

    def update(self, n: int = 1) -> None:
        self.advanced += n

    def close(self) -> None:
        self.closed += 1


class SlowBars(RecordingBars):
    """Sleeps 0.1 s at every committed batch, so a writer can be killed in the middle."""

    def update(self, n: int = 1) -> None:
        time.sleep(0.1)


ANIMATION = {1: "Toy Story (1995)", 3114: "Toy Story 2 (1999)", 78499: "Toy Story 3 (2010)",
             6377: "Finding Nemo (2003)", 4886: "\"Monsters, Inc. (2001)\"", 68954: "Up (2009)"}
HORROR = {1982: "Halloween (1978)", 1258: "\"Shining, The (1980)\"", 1407: "Scream (1996)",
          1214: "Alien (1979)", 1997: "\"Exorcist, The (1973)\"", 115713: "It Follows (2014)"}


def two_communities(folder: Path) -> Path:
    """A tiny ml-latest-small-format release: users 1-6 rate only animation, users 7-12 only horror.

    Each user rates four of their community's six movies (a different four each), so each has two
    unrated movies of their own kind, and six of the other.
    """
    folder.mkdir()
    lines = ["movieId,title,genres"]
    lines += [f"{mid},{title},Animation|Children" for mid, title in ANIMATION.items()]
    lines += [f"{mid},{title},Horror|Thriller" for mid, title in HORROR.items()]
    (folder / "movies.csv").write_text("\n".join(lines) + "\n")
    ratings = ["userId,movieId,rating,timestamp"]
    for offset, movies in ((0, list(ANIMATION)), (6, list(HORROR))):
        for u in range(6):
            for j in range(4):
                mid = movies[(u + j) % 6]
                ratings.append(f"{offset + u + 1},{mid},{5.0 - 0.5 * j},{1_600_000_000 + 60 * (6 * u + j)}")
    (folder / "ratings.csv").write_text("\n".join(ratings) + "\n")
    return folder


