"""Export a subgraph from Neo4j into a PyTorch Geometric :class:`~torch_geometric.data.HeteroData`.

Layout of the exported graph (PyG conventions, as ``torch_geometric/datasets/movie_lens.py``):

- ``data['user']``: ``node_id`` (the Neo4j ``userId`` of tensor index ``i``), ``num_nodes``,
  and ``x`` (gender one-hot, normalised age, occupation one-hot) only where the release has
  demographics; otherwise users are represented by learned id embeddings alone.
- ``data['movie']``: ``node_id`` (``movieId``), ``x`` = genre multi-hot, normalised year and a
  "year unknown" flag. Genres are movie *features*, not nodes: MovieLens has about 20 of them,
  a fixed vocabulary that a multi-hot vector carries exactly, and a genre node type would add a
  third relation to every layer (and genre hubs linked to thousands of movies) for no extra
  information. ``data.genres`` names the multi-hot columns.
- ``data['user', 'rates', 'movie']``: ``edge_index``, ``edge_label`` (the rating, half stars
  kept, float) and ``time`` (epoch seconds, int64), sorted by (user, movie) so that the same
  graph always gives the same tensors; ``data['movie', 'rev_rates', 'user']`` is the reverse.

The id mapping lives in exactly one place, the ``node_id`` tensors (sorted ids, so index ``i``
is the ``i``-th smallest id); :func:`id_mapping` turns them into dicts.

Ratings are streamed from the database (:meth:`movierec.core.db.Graph.stream`) one record per user,
holding that user's movie ids, ratings and timestamps as three lists (``cypher/export_ratings.cypher``),
straight into typed arrays; the result is never materialised as a list of records. A list element
costs the driver a fraction of what a record costs: on a 1M-rating release the whole export ran 4.5x
faster than a bare scan of one record per rating with the pure-Python driver, 10.8x with ``neo4j-rust-ext``
(``python -m bench export``, BENCHMARKS.md).
"""

from __future__ import annotations

import itertools
import logging
import time
from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch_geometric.data import HeteroData

from movierec import cypher
from movierec.core.db import Graph
from movierec.core.errors import ExportError, NotFoundError
from movierec.gnn.data.hetero import MOVIE, RATES, REV_RATES, USER
from movierec.gnn.data.ids import positions
from movierec.gnn.data.where import SubgraphFilter

logger = logging.getLogger(__name__)



@dataclass(frozen=True)
class ExportStats:
    """How long the export took.

    Args:
        edges (int): Ratings exported.
        users (int): User nodes exported.
        movies (int): Movie nodes exported.
        seconds (float): Wall time of the rating stream (query + decoding + arrays).
        total_seconds (float): Wall time of the whole export (nodes, ratings, tensors).
        read_at (str, optional): The server's time when the export began (ISO 8601): ratings newer than it are
            not in the run (``ModelRun.ratingsReadAt``, what ``movierec refresh`` compares with).
    """

    edges: int
    users: int
    movies: int
    seconds: float
    total_seconds: float
    read_at: str | None = None

    @property
    def edges_per_second(self) -> float:
        return self.edges / self.seconds if self.seconds > 0 else float("inf")


def export_graph(
    graph: Graph,
    where: SubgraphFilter | None = None,
    fetch_size: int = 10_000,
    on_edges: Callable[[int], None] | None = None,
) -> tuple[HeteroData, ExportStats]:
    """Read the selected subgraph from Neo4j into a :class:`HeteroData`.

    Users pass the ``users`` filter; movies pass the year and genre filters; ratings join
    the two and pass the time window. Every filter value is a query parameter
    (``cypher/export_*.cypher``); nodes left without ratings are kept (they still get
    embeddings and scores).

    Args:
        graph (Graph): The database.
        where (SubgraphFilter, optional): The subgraph. (default: the whole graph)
        fetch_size (int): Records per network fetch. (default: ``10000``)
        on_edges (Callable[[int], None], optional): Called with the number of ratings read so far,
            every ``fetch_size`` ratings (for a progress bar).

    Returns:
        tuple[HeteroData, ExportStats]: The graph and how long reading it took.

    Raises:
        ExportError: The selected subgraph has no ratings, or the data is inconsistent.
    """
    where = where or SubgraphFilter()
    params = where.params()
    start = time.perf_counter()
    read_at = graph.read(cypher.load("read_server_time"))[0]["now"].iso_format()
    genres = [r["name"] for r in graph.read(cypher.load("export_genres"))]

    user_ids = array("q")
    genders: list[Any] = []
    ages: list[Any] = []
    occupations: list[Any] = []
    for rec in graph.stream(cypher.load("export_users"), fetch_size=fetch_size, users=params["users"]):
        user_ids.append(rec[0])
        genders.append(rec[1])
        ages.append(rec[2])
        occupations.append(rec[3])

    movie_ids = array("q")
    years: list[int | None] = []
    movie_genres: list[list[str]] = []
    titles: list[str] = []
    movie_params = {k: params[k] for k in ("min_year", "max_year", "genres")}
    for rec in graph.stream(cypher.load("export_movies"), fetch_size=fetch_size, **movie_params):
        movie_ids.append(rec[0])
        years.append(rec[1])
        movie_genres.append(rec[2])
        titles.append(rec[3] or "")

    ratings_start = time.perf_counter()
    src, dst, ts = array("q"), array("q"), array("q")
    label = array("d")
    reported = 0
    for rec in graph.stream(cypher.load("export_ratings"), fetch_size=fetch_size, **params):
        movies_of_user, values, stamps = rec[1], rec[2], rec[3]
        if not len(movies_of_user) == len(values) == len(stamps):
            raise ExportError(f"userId {rec[0]} has RATED relationships without a rating; "
                              "every RATED needs a numeric `rating` (re-ingest the release)")
        dst.extend(movies_of_user)
        label.extend(values)
        ts.extend(stamps)
        src.extend(itertools.repeat(rec[0], len(movies_of_user)))
        if on_edges is not None and len(label) - reported >= fetch_size:
            reported = len(label)
            on_edges(reported)
    seconds = time.perf_counter() - ratings_start
    if not label:
        raise ExportError(
            f"the selected subgraph ({where.describe()}) has no ratings: {len(user_ids)} users, "
            f"{len(movie_ids)} movies; loosen the filters or ingest a release first"
        )
    data = build_heterodata(
        user_ids=np.frombuffer(user_ids, dtype=np.int64),
        movie_ids=np.frombuffer(movie_ids, dtype=np.int64),
        rating_user=np.frombuffer(src, dtype=np.int64),
        rating_movie=np.frombuffer(dst, dtype=np.int64),
        rating=np.frombuffer(label, dtype=np.float64),
        timestamp=np.frombuffer(ts, dtype=np.int64),
        movie_years=years,
        movie_genres=movie_genres,
        genres=genres,
        user_demographics=(genders, ages, occupations),
        movie_titles=titles,
    )
    stats = ExportStats(
        edges=len(label), users=len(user_ids), movies=len(movie_ids), seconds=seconds,
        total_seconds=time.perf_counter() - start, read_at=read_at,
    )
    logger.info("exported %s ratings in %.2f s (%.0f edges/s)", stats.edges, stats.seconds, stats.edges_per_second)
    return data, stats


def bare_scan(
    graph: Graph, where: SubgraphFilter | None = None, fetch_size: int = 10_000, per_user: bool = False,
) -> tuple[int, float]:
    """Iterate rating records with the bare driver, touching nothing: the floor for :func:`export_graph`.

    Args:
        graph (Graph): The database.
        where (SubgraphFilter, optional): The subgraph. (default: the whole graph)
        fetch_size (int): Records per network fetch. (default: ``10000``)
        per_user (bool): Scan export's own query (one record per user) instead of the obvious one
            record per rating (``cypher/export_rating_rows.cypher``). (default: ``False``)

    Returns:
        tuple[int, float]: Ratings read and seconds taken.
    """
    params = (where or SubgraphFilter()).params()
    start = time.perf_counter()
    n = 0
    with graph.driver.session(database=graph.database, fetch_size=fetch_size) as session:
        if per_user:
            for record in session.run(cypher.load("export_ratings"), params):
                n += len(record[1])
        else:
            for _ in session.run(cypher.load("export_rating_rows"), params):
                n += 1
    return n, time.perf_counter() - start


def build_heterodata(
    user_ids: np.ndarray,
    movie_ids: np.ndarray,
    rating_user: np.ndarray,
    rating_movie: np.ndarray,
    rating: np.ndarray,
    timestamp: np.ndarray,
    movie_years: Sequence[int | None],
    movie_genres: Sequence[Sequence[str]],
    genres: Sequence[str] | None = None,
    user_demographics: tuple[Sequence[Any], Sequence[Any], Sequence[Any]] | None = None,
    movie_titles: Sequence[str] | None = None,
) -> HeteroData:
    """Assemble the :class:`HeteroData` from plain arrays (ids are MovieLens/Neo4j ids).

    Args:
        user_ids (np.ndarray): ``userId`` of every user node.
        movie_ids (np.ndarray): ``movieId`` of every movie node.
        rating_user (np.ndarray): ``userId`` of each rating.
        rating_movie (np.ndarray): ``movieId`` of each rating.
        rating (np.ndarray): The ratings.
        timestamp (np.ndarray): Epoch seconds of each rating.
        movie_years (Sequence[int | None]): Year per movie node (``None`` when unknown).
        movie_genres (Sequence[Sequence[str]]): Genre names per movie node.
        genres (Sequence[str], optional): The genre vocabulary. (default: the genres seen, sorted)
        user_demographics (tuple, optional): ``(genders, ages, occupations)`` per user node.
            (default: ``None``, no user features)
        movie_titles (Sequence[str], optional): Title per movie node, kept as ``data['movie'].title`` (a list)
            for pictures of the run. (default: ``None``)

    Returns:
        HeteroData: See the module docstring.

    Raises:
        ExportError: A rating names a user or movie that is not among the nodes, or ids repeat.
    """
    user_order = np.argsort(user_ids, kind="stable")
    movie_order = np.argsort(movie_ids, kind="stable")
    users = np.asarray(user_ids, dtype=np.int64)[user_order]
    movies = np.asarray(movie_ids, dtype=np.int64)[movie_order]
    for name, ids in (("userId", users), ("movieId", movies)):
        if len(ids) > 1 and (np.diff(ids) == 0).any():
            raise ExportError(f"{name} {int(ids[np.flatnonzero(np.diff(ids) == 0)[0]])} appears on several nodes")
    u = _lookup(users, np.asarray(rating_user, dtype=np.int64), "userId")
    m = _lookup(movies, np.asarray(rating_movie, dtype=np.int64), "movieId")
    order = np.lexsort((m, u))
    u, m = u[order], m[order]

    data = HeteroData()
    data[USER].node_id = torch.from_numpy(users.copy())
    data[USER].num_nodes = len(users)
    data[MOVIE].node_id = torch.from_numpy(movies.copy())
    data[MOVIE].num_nodes = len(movies)

    vocabulary = list(genres) if genres is not None else sorted({g for gs in movie_genres for g in gs})
    data.genres = vocabulary
    data[MOVIE].x = _movie_features(
        [movie_years[i] for i in movie_order], [movie_genres[i] for i in movie_order], vocabulary
    )
    if movie_titles is not None:
        data[MOVIE].title = [movie_titles[i] for i in movie_order]
    if user_demographics is not None:
        x = _user_features(*(tuple(col[i] for i in user_order) for col in user_demographics))
        if x is not None:
            data[USER].x = x

    edge_index = torch.from_numpy(np.stack([u, m]))
    data[RATES].edge_index = edge_index
    data[RATES].edge_label = torch.from_numpy(np.asarray(rating, dtype=np.float32)[order].copy())
    data[RATES].time = torch.from_numpy(np.asarray(timestamp, dtype=np.int64)[order].copy())
    data[REV_RATES].edge_index = edge_index.flip(0)
    return data


def _lookup(known: np.ndarray, ids: np.ndarray, name: str) -> np.ndarray:
    index, found = positions(known, ids)
    if not found.all():
        raise ExportError(f"a rating names {name} {int(ids[np.flatnonzero(~found)[0]])}, which is not among the nodes")
    return index


def _movie_features(years: Sequence[int | None], movie_genres: Sequence[Sequence[str]],
                    vocabulary: list[str]) -> torch.Tensor:
    column = {g: i for i, g in enumerate(vocabulary)}
    x = torch.zeros(len(years), len(vocabulary) + 2)
    for i, gs in enumerate(movie_genres):
        for g in gs:
            if g in column:
                x[i, column[g]] = 1.0
    known = [y for y in years if y is not None]
    mean = float(np.mean(known)) if known else 0.0
    std = float(np.std(known)) if len(known) > 1 and np.std(known) > 0 else 1.0
    for i, y in enumerate(years):
        if y is None:
            x[i, -1] = 1.0  # year unknown; the normalised year stays 0 (the mean)
        else:
            x[i, -2] = (y - mean) / std
    return x


def _user_features(genders: Sequence[Any], ages: Sequence[Any], occupations: Sequence[Any]) -> torch.Tensor | None:
    has = [any(v is not None for v in col) for col in (genders, ages, occupations)]
    if not any(has):
        return None
    parts: list[torch.Tensor] = []
    if has[0]:
        parts.append(_one_hot(genders))
    if has[1]:
        known = np.array([float(a) for a in ages if a is not None])
        std = float(known.std()) or 1.0
        parts.append(torch.tensor([[0.0 if a is None else (float(a) - known.mean()) / std] for a in ages],
                                  dtype=torch.float32))
    if has[2]:
        parts.append(_one_hot(occupations))
    return torch.cat(parts, dim=1)


def _one_hot(values: Iterable[Any]) -> torch.Tensor:
    values = list(values)
    vocabulary = sorted({str(v) for v in values if v is not None})
    column = {v: i for i, v in enumerate(vocabulary)}
    x = torch.zeros(len(values), len(vocabulary))
    for i, v in enumerate(values):
        if v is not None:
            x[i, column[str(v)]] = 1.0
    return x


def id_mapping(data: HeteroData) -> tuple[list[int], list[int]]:
    """The Neo4j ids of tensor indices: ``(user_ids, movie_ids)``, index ``i`` → id."""
    return data[USER].node_id.tolist(), data[MOVIE].node_id.tolist()


def save_heterodata(data: HeteroData, path: str | Path) -> Path:
    """Save an exported graph with :func:`torch.save` (load it with :func:`load_heterodata`)."""
    path = Path(path)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True)
    torch.save(data, path)
    return path


def load_heterodata(path: str | Path) -> HeteroData:
    """Load a graph saved by ``movierec export --out FILE.pt``.

    Raises:
        NotFoundError: There is no such file, or it holds no exported graph.
    """
    path = Path(path)
    if not path.is_file():
        raise NotFoundError(f"no exported graph at {path}")
    try:
        data = torch.load(path, weights_only=False)
    except Exception as e:
        raise NotFoundError(f"{path} is not a graph saved by `movierec export`: {e}") from e
    if not isinstance(data, HeteroData) or RATES not in data.edge_types:
        raise NotFoundError(f"{path} is not a graph saved by `movierec export`")
    return data
