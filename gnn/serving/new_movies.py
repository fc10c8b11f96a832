"""Movies with no place in the active run: read from Neo4j, then folded into the run without retraining.

:func:`read_new_movies` answers which movies the active run has no embedding for (``cypher/read_new_movies.cypher``),
with their year, genres and current ratings; :func:`fold_new_movies` gives each one a ranking vector, a rating model,
an embedding and its ``SIMILAR`` list under a trained run (:mod:`movierec.gnn.serving.movie_foldin`);
:func:`write_folded_movies` writes them under the active run, each movie whole in one transaction (``movierec
refresh``, :func:`movierec.gnn.serving.refresh.refresh_movies`).

Example:
    >>> with connect(Neo4jSettings.resolve()) as graph:      # doctest: +SKIP
    ...     [m.title for m in read_new_movies(graph)]
    ['Toy Story 5']
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from neo4j import ManagedTransaction
from torch import Tensor

from movierec import cypher
from movierec.core.db import Graph
from movierec.core.errors import NotFoundError, TrainError
from movierec.gnn.data.ids import IdIndex
from movierec.gnn.models.scorers import LinearScorer
from movierec.gnn.serving.movie_foldin import (
    RANK_PRIOR_NEIGHBOURS,
    Catalogue,
    content_neighbours,
    content_prior,
    fold_in_ranking,
    fold_in_ratings,
    user_scale,
)
from movierec.gnn.serving.similar import SMOOTHING, genre_factor
from movierec.gnn.training.run_dir import TrainedRun

DEFAULT_LIMIT = 1_000  # movies read at once
# below this many ratings a new movie's SIMILAR are its embedding's nearest movies, not its co-ratings: held out of
# training, a movie's co-rating top 10 from its first 5 ratings shares 0.03 of the list all its ratings give, from
# 20 ratings 0.20 (python -m bench.movie_foldin); 8 Toy Story fans' co-ratings listed Double Indemnity and Kazaam
# for a new cartoon, its folded embedding 9 cartoons of 10
SIMILAR_MIN_RATINGS = 20


@dataclass
class NewMovie:
    """A movie without a place in the active run, as the graph holds it now."""

    movie_id: int
    title: str | None
    year: int | None
    genres: frozenset[str] = field(default_factory=frozenset)
    user_ids: list[int] = field(default_factory=list)  # its raters, userId order
    ratings: list[float] = field(default_factory=list)  # their ratings, the same order
    folded_with: int | None = None  # folded before, with this many ratings (read_refold_movies); None: never


def read_new_movies(graph: Graph, limit: int = DEFAULT_LIMIT) -> list[NewMovie]:
    """The movies that have no embedding in the graph (at most ``limit``, movieId order), with their content and
    ratings.

    Raises:
        ValueError: ``limit`` below 1.
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    return [NewMovie(movie_id=int(r["movieId"]), title=r["title"], year=None if r["year"] is None else int(r["year"]),
                     genres=frozenset(r["genres"]), user_ids=[int(u) for u in r["userIds"]],
                     ratings=[float(x) for x in r["ratings"]])
            for r in graph.read(cypher.load("read_new_movies"), limit=limit)]


def read_refold_movies(graph: Graph, run_id: str, limit: int = DEFAULT_LIMIT) -> list[NewMovie]:
    """The movies folded into run ``run_id`` that have at least doubled their ratings since (and gained 3): folded
    again by ``refresh`` from more evidence (``cypher/read_refold_movies.cypher``)."""
    return [NewMovie(movie_id=int(r["movieId"]), title=r["title"], year=None if r["year"] is None else int(r["year"]),
                     genres=frozenset(r["genres"]), user_ids=[int(u) for u in r["userIds"]],
                     ratings=[float(x) for x in r["ratings"]], folded_with=int(r["foldedWith"]))
            for r in graph.read(cypher.load("read_refold_movies"), runId=run_id, limit=limit)]


@dataclass
class FoldedMovies:
    """New movies' place in a run: row ``i`` is ``movie_ids[i]``."""

    movie_ids: list[int]
    rank_vectors: Tensor  # [n, d_rank]
    rank_bias: Tensor  # [n]
    rating_factors: Tensor  # [n, d_rating]
    rating_bias: Tensor  # [n]
    embeddings: Tensor  # [n, d_embedding]
    similar: list[list[tuple[int, float]]]  # per movie: (movieId, score), best first
    known_ratings: list[int]  # ratings by the run's users behind each fold
    # per movie: the run's movies whose SIMILAR list it may enter, with its score there, n_ih / (n_h + λ) · genres
    incoming: list[list[tuple[int, float]]] = field(default_factory=list)
    all_ratings: list[int] = field(default_factory=list)  # every rating behind each fold, the run's users or not
    folded_with: list[int | None] = field(default_factory=list)  # a fold again: the ratings of the previous one


@dataclass
class CoRatings:
    """A run's ratings arranged for co-rating counts of new movies, built once per run (a 25M run's sort takes
    seconds; a refresh that folds one movie must not pay it).

    Attributes:
        by_user (Tensor): ``[E]`` user index of each rating, sorted.
        movies (Tensor): ``[E]`` movie index of each rating, in that order.
        popularity (Tensor): ``[M]`` ratings per movie (``n_j``).
        floor (Tensor | None): ``[M]`` each movie's last ``SIMILAR`` score as the run wrote them
            (:func:`similar_floor`).
        unit (Tensor): ``[M, d]`` the run's movie embeddings, unit length (the embedding's nearest movies).
        embedding (Tensor): ``[M, d]`` the run's movie embeddings.
        shift (Tensor | None): ``[d]`` the mean of rating factors minus embeddings when the embeddings are the rating
            model's movie side shifted (``gcmc``'s, the default run's); ``None`` otherwise.
        users (IdIndex): The run's userIds, sorted once.
        rating_scale (float): ``mean |p|²`` of the rating model's users (:func:`user_scale`).
        genre_weight (float): γ of the genre factor the run's ``SIMILAR`` were scored with
            (:meth:`~movierec.gnn.training.run_dir.TrainedRun.similar_genre_weight`).
    """

    by_user: Tensor
    movies: Tensor
    popularity: Tensor
    floor: Tensor | None
    unit: Tensor
    embedding: Tensor
    shift: Tensor | None
    users: IdIndex
    rating_scale: float
    genre_weight: float = 0.0

    @classmethod
    def of(cls, run: TrainedRun) -> CoRatings:
        edge_index, _, _ = run.split()
        order = torch.argsort(edge_index[0], stable=True)
        embedding = run.movie_embedding.float()
        factors = run.rating_scorer.movie.float()
        shift = (factors - embedding).mean(0) if embedding.shape[1] == factors.shape[1] else None
        return cls(edge_index[0, order], edge_index[1, order],
                   torch.bincount(edge_index[1], minlength=len(run.movie_ids)).float(), similar_floor(run),
                   torch.nn.functional.normalize(embedding, dim=1), embedding, shift, IdIndex(run.user_ids),
                   user_scale(run.rating_scorer), run.similar_genre_weight())

    def counts(self, users: Tensor) -> Tensor:
        """``[M]`` how many of ``users`` (distinct user indices) rated each movie."""
        co = torch.zeros(len(self.popularity))
        lo, hi = torch.searchsorted(self.by_user, users), torch.searchsorted(self.by_user, users, right=True)
        for a, b in zip(lo.tolist(), hi.tolist(), strict=True):
            co[self.movies[a:b]] += 1
        return co


def fold_new_movies(run: TrainedRun, catalogue: Catalogue, movies: list[NewMovie], k: int | None = None,
                    min_ratings: int = SIMILAR_MIN_RATINGS, co_ratings: CoRatings | None = None) -> FoldedMovies:
    """Fold ``movies`` into ``run`` from their content and their ratings by the run's users (others are ignored).

    The embedding is the rating factors, shifted as the run's embeddings are, when the run's embeddings are its
    rating model's movie side (``gcmc``'s); otherwise the content prior of the run's embeddings. ``SIMILAR``, the
    ``k`` (default: the run's ``similar_k``) best: from ``min_ratings`` ratings the run's measure, ``n_hj / (n_j +
    λ)`` over the run's ratings and the new movie's, times the genre factor (:func:`genre_factor`, the catalogue's
    genres, the run's γ); below it the movies nearest its embedding (cosine), what ``similar --by embedding``
    answers (``co_ratings``: the run's, built once; default: built now).
    ``incoming``: the run's movies whose list it may enter, at ``n_ih / (n_h + λ)`` times the same factor, where
    that beats the list's last score in ``similar.pt`` (:func:`similar_floor`; the write checks the graph's lists
    again); none for a run without ``similar.pt``.

    Raises:
        TrainError: The run's ranker or rating model is not a factor model (``LinearScorer``): ``ease``'s item
            weights have no row for a movie they never saw.
    """
    rank, rating = run.rank_scorer, run.rating_scorer
    if not isinstance(rank, LinearScorer):
        raise TrainError(f"run {run.run_id} ranks with {type(rank).__name__}, which cannot place a new movie; "
                         "fold-in of new movies needs a factor ranker (lightgcn, sage, the default run)")
    k = k or run.config.similar_k
    co_ratings = co_ratings or CoRatings.of(run)
    index, known = co_ratings.users.positions(np.array([u for m in movies for u in m.user_ids], dtype=np.int64))
    rows = torch.repeat_interleave(torch.arange(len(movies)), torch.tensor([len(m.user_ids) for m in movies]))
    keep = torch.from_numpy(known)
    raters = torch.stack([rows[keep], torch.from_numpy(index)[keep]])
    stars = torch.tensor([x for m in movies for x in m.ratings], dtype=torch.float32)[keep]
    years = torch.tensor([m.year or 0 for m in movies])
    neighbours, weight = content_neighbours(catalogue, [m.genres for m in movies], years)
    prior, prior_bias = content_prior(rank.movie, rank.movie_bias, neighbours, weight, first_bias=True,
                                      top=RANK_PRIOR_NEIGHBOURS)
    rank_vectors, rank_bias = fold_in_ranking(rank, raters, stars, len(movies), prior, prior_bias)
    q0, b0 = content_prior(rating.movie, rating.movie_bias, neighbours, weight)
    factors, bias = fold_in_ratings(rating, raters, stars, len(movies), q0, b0, scale=co_ratings.rating_scale)
    if co_ratings.shift is not None:
        embeddings = factors - co_ratings.shift
    else:
        embedding = co_ratings.embedding
        embeddings = content_prior(embedding, torch.zeros(len(embedding)), neighbours, weight)[0]
    floor, unit = co_ratings.floor, co_ratings.unit
    similar, incoming = [], []
    counts = torch.bincount(raters[0], minlength=len(movies))
    onehots, genre_counts = catalogue.encode([m.genres for m in movies])
    for i in range(len(movies)):
        users = torch.unique(raters[1, raters[0] == i])
        co = co_ratings.counts(users)
        genre = torch.ones(len(co)) if not co_ratings.genre_weight else genre_factor(
            onehots[i:i + 1], genre_counts[i:i + 1], catalogue.onehot, catalogue.counts, co_ratings.genre_weight)[0]
        if floor is not None:  # the lists it enters: where its score there beats the run's k-th neighbour
            into = (co / (len(users) + SMOOTHING)).clamp(max=1.0) * genre
            enters = torch.nonzero((co > 0) & (into > floor)).flatten()
            incoming.append([(run.movie_ids[j], float(into[j])) for j in enters.tolist()])
        else:
            incoming.append([])
        if len(users) < min_ratings:
            near = torch.topk(unit @ torch.nn.functional.normalize(embeddings[i].float(), dim=0), min(k, len(unit)))
            similar.append([(run.movie_ids[j], float(s)) for j, s in zip(near.indices.tolist(), near.values.tolist(),
                                                                         strict=True)])
            continue
        score = (co / (co_ratings.popularity + SMOOTHING)).clamp(max=1.0) * genre
        best = torch.topk(score, min(k, int((co > 0).sum())))
        similar.append([(run.movie_ids[j], float(s)) for j, s in zip(best.indices.tolist(), best.values.tolist(),
                                                                     strict=True)])
    return FoldedMovies([m.movie_id for m in movies], rank_vectors, rank_bias, factors, bias, embeddings, similar,
                        counts.tolist(), incoming, [len(m.user_ids) for m in movies], [m.folded_with for m in movies])


def similar_floor(run: TrainedRun) -> Tensor | None:
    """``[M]`` the score of each run movie's last ``SIMILAR`` neighbour as the run wrote them (``similar.pt``; 0 for
    a list shorter than ``k``), or ``None`` for a run without ``similar.pt``. Neighbours only enter lists, so this is a
    lower bound of the floor in the graph, which the write checks again."""
    try:
        _, scores = run.similar()
    except NotFoundError:
        return None
    return scores[:, -1].float()


def read_catalogue(graph: Graph, run: TrainedRun) -> Catalogue:
    """The run's movies as content (genres, years from the graph; popularity from the run's ratings)."""
    content = {int(r["movieId"]): r for r in graph.read(cypher.load("read_movie_content"), movieIds=run.movie_ids)}
    genres = [frozenset(content[m]["genres"]) if m in content else frozenset() for m in run.movie_ids]
    years = torch.tensor([int(content[m]["year"] or 0) if m in content else 0 for m in run.movie_ids])
    popularity = torch.bincount(run.split()[0][1], minlength=len(run.movie_ids))
    return Catalogue.build(genres, years, popularity, popularity > 0)


def read_folded_movies(graph: Graph, run_id: str) -> FoldedMovies:
    """The movies folded into run ``run_id`` after its training, as :func:`write_folded_movies` wrote them
    (``cypher/read_folded_movies.cypher``; ``similar`` and ``incoming`` are not read back)."""
    rows = graph.read(cypher.load("read_folded_movies"), runId=run_id)

    def stack(key: str) -> Tensor:
        return torch.tensor([r[key] for r in rows], dtype=torch.float32)

    if not rows:
        return FoldedMovies([], torch.zeros(0, 0), torch.zeros(0), torch.zeros(0, 0), torch.zeros(0),
                            torch.zeros(0, 0), [], [])
    return FoldedMovies([int(r["movieId"]) for r in rows], stack("rankVector"), stack("rankBias"),
                        stack("ratingFactors"), stack("ratingBias"), torch.zeros(len(rows), 0), [[] for _ in rows],
                        [int(r["ratings"] or 0) for r in rows])


def write_folded_movies(graph: Graph, run_id: str, folded: FoldedMovies) -> int:
    """Write the folded movies under run ``run_id``, all in one transaction: each movie whole
    (``cypher/write_folded_movies.cypher``; ``write_refolded_movies.cypher`` for movies folded again, a batch being
    all of one kind), then the written ones into other movies' ``SIMILAR`` lists
    (``cypher/write_folded_similar_into.cypher``, each list rewritten once); returns the movies written (0 when
    ``run_id`` is no longer active)."""
    rows = [{"movieId": mid, "embedding": folded.embeddings[i].tolist(), "ratingBias": float(folded.rating_bias[i]),
             "ratingFactors": folded.rating_factors[i].tolist(), "known": folded.known_ratings[i],
             "rankVector": folded.rank_vectors[i].tolist(), "rankBias": float(folded.rank_bias[i]),
             "all": folded.all_ratings[i] if folded.all_ratings else folded.known_ratings[i],
             "foldedWith": folded.folded_with[i] if folded.folded_with else None,
             "similar": [m for m, _ in folded.similar[i]], "scores": [s for _, s in folded.similar[i]]}
            for i, mid in enumerate(folded.movie_ids)]

    def work(tx: ManagedTransaction) -> int:
        query = "write_refolded_movies" if any(w is not None for w in folded.folded_with) else "write_folded_movies"
        written = {int(r["movieId"]) for r in tx.run(cypher.load(query), runId=run_id, rows=rows)}
        if not written:
            return 0
        lists: dict[int, list[tuple[int, float]]] = {}
        for new_id, entries in zip(folded.movie_ids, folded.incoming, strict=False):
            if new_id in written:
                for other, score in entries:
                    lists.setdefault(other, []).append((new_id, score))
        into = [{"movieId": other, "newIds": [n for n, _ in pairs], "scores": [s for _, s in pairs]}
                for other, pairs in sorted(lists.items())]
        tx.run(cypher.load("write_folded_similar_into"), runId=run_id, movies=len(written), into=into).consume()
        return len(written)

    return graph.write_transaction(work)
