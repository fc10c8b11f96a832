"""PyG's remote backend over Neo4j: a :class:`~torch_geometric.data.GraphStore` and a
:class:`~torch_geometric.data.FeatureStore` that PyG's own loaders sample from, without ``movierec export``.

Where the data lives was decided by measurement (``python -m bench.remote_loader``, README "PyG remote backend"):
the **topology** (which user rated which movie) is read once with the export's fast path (one record per user with
lists, ``cypher/export_ratings.cypher``) and kept in memory, from which PyG builds CSR / CSC, so sampling costs what
it costs in memory; by default each edge's **rating and time** come in the same records (``ratings="local"``): fetched
per batch from Neo4j instead (``ratings="remote"``, ``cypher/read_rating_values.cypher`` through a bounded cache) a
1M-rating graph's batch took 794.5 ms against 10.4 ms in memory, the server's per-pair lookups of some 40,000 message
edges a batch. The **movie features** (genre multi-hot, normalised year, "year unknown", encoded exactly as the
export encodes them, ``cypher/read_movie_features.cypher``) are kept in a bounded cache, filled when the stores are
built if every movie fits (``prefetch``: 62,423 rows at 25M, a few queries; per batch, cold, a 25M batch took 2.61x
the in-memory time, prefetched 1.18x), else batch by batch.
``node_id`` (userId / movieId) comes from the topology read.

Index ``i`` of a node type is the ``i``-th smallest id and edge ``e`` the ``e``-th rating in (user, movie) order: the
same numbering as :func:`movierec.gnn.data.export.export_graph`, so a batch sampled here names the same nodes and
edges as one sampled from the exported :class:`~torch_geometric.data.HeteroData`.

Example:
    >>> with connect(Neo4jSettings.resolve()) as graph:                          # doctest: +SKIP
    ...     gs = Neo4jGraphStore(graph)
    ...     fs = Neo4jFeatureStore(graph, gs)
    ...     fs['movie', 'x', torch.tensor([0, 1])].shape
    torch.Size([2, 22])
"""

from __future__ import annotations

import itertools
import os
from array import array
from typing import Any

import numpy as np
import torch
from torch import Tensor
from torch_geometric.data import FeatureStore, GraphStore, HeteroData, TensorAttr
from torch_geometric.data.graph_store import EdgeAttr, EdgeLayout

from movierec import cypher
from movierec.core.db import Graph, connect
from movierec.core.errors import ExportError
from movierec.core.settings import Neo4jSettings
from movierec.gnn.data.hetero import MOVIE, RATES, REV_RATES, USER
from movierec.gnn.data.ids import positions
from movierec.gnn.data.remote.cache import RingCache
from movierec.gnn.data.where import SubgraphFilter

DEFAULT_CACHE = 200_000  # rows kept per cached attribute (movie features, edge values)
FETCH = 10_000  # ids per query when a batch misses the cache


class Neo4jGraphStore(GraphStore):
    """The user–movie topology of the (filtered) graph, read once from Neo4j and kept in memory.

    Args:
        graph (Graph): The database.
        where (SubgraphFilter, optional): The subgraph, as ``movierec export`` takes it. (default: all of it)
        fetch_size (int): Records per network fetch. (default: ``10000``)
        ratings (str): ``"local"``: each edge's rating and time read with the topology and served from memory;
            ``"remote"``: topology only, ratings fetched from Neo4j per batch. (default: ``"local"``)

    Raises:
        ExportError: The subgraph has no ratings.
        ValueError: ``ratings`` is neither.
    """

    def __init__(self, graph: Graph, where: SubgraphFilter | None = None, fetch_size: int = 10_000,
                 ratings: str = "local") -> None:
        if ratings not in ("local", "remote"):
            raise ValueError(f"ratings must be 'local' or 'remote', got {ratings!r}")
        super().__init__()
        self.where = where or SubgraphFilter()
        params = self.where.params()
        self._since = graph.read(cypher.load("read_server_time"))[0]["now"]  # the next delta reads from here
        self.read_at = self._since.iso_format()
        users = array("q", (r[0] for r in graph.stream(cypher.load("export_users"), fetch_size=fetch_size,
                                                       users=params["users"])))
        movies, years = array("q"), []
        for r in graph.stream(cypher.load("export_movie_ids"), fetch_size=fetch_size,
                              **{k: params[k] for k in ("min_year", "max_year", "genres")}):
            movies.append(r[0])
            years.append(r[1])
        src, dst, stars, stamps = array("q"), array("q"), array("d"), array("q")
        query = "export_ratings" if ratings == "local" else "export_topology"
        for r in graph.stream(cypher.load(query), fetch_size=fetch_size, **params):
            dst.extend(r[1])
            src.extend(itertools.repeat(r[0], len(r[1])))
            if ratings == "local":
                stars.extend(r[2])
                stamps.extend(r[3])
        if not src:
            raise ExportError(f"the selected subgraph ({self.where.describe()}) has no ratings")
        self.user_ids = np.sort(np.frombuffer(users, dtype=np.int64))
        order = np.argsort(np.frombuffer(movies, dtype=np.int64), kind="stable")
        self.movie_ids = np.frombuffer(movies, dtype=np.int64)[order]
        known = [years[i] for i in order if years[i] is not None]
        self.year_mean = float(np.mean(known)) if known else 0.0
        self.year_std = float(np.std(known)) if len(known) > 1 and np.std(known) > 0 else 1.0
        u, u_found = positions(self.user_ids, np.frombuffer(src, dtype=np.int64))
        m, m_found = positions(self.movie_ids, np.frombuffer(dst, dtype=np.int64))
        if not (u_found.all() and m_found.all()):
            raise ExportError("a rating names a user or movie that is not among the exported nodes")
        by_pair = np.lexsort((m, u))
        self.edge_index = torch.from_numpy(np.stack([u[by_pair], m[by_pair]]))
        # each edge's rating and time, in memory when read with the topology (ratings="local"), else None: the
        # feature store then fetches them from Neo4j per batch
        self.edge_label: Tensor | None = None
        self.time: Tensor | None = None
        if ratings == "local":
            self.edge_label = torch.from_numpy(np.frombuffer(stars, dtype=np.float64)[by_pair].astype(np.float32))
            self.time = torch.from_numpy(np.frombuffer(stamps, dtype=np.int64)[by_pair].copy())
        size = (len(self.user_ids), len(self.movie_ids))
        self._edges: dict[tuple[Any, EdgeLayout], tuple[Tensor, Tensor]] = {}
        self._sizes: dict[Any, tuple[int, int] | None] = {}
        self.put_edge_index((self.edge_index[0], self.edge_index[1]), edge_type=RATES, layout="coo", size=size)
        self.put_edge_index((self.edge_index[1], self.edge_index[0]), edge_type=REV_RATES, layout="coo",
                            size=size[::-1])

    def refresh(self, graph: Graph) -> int:
        """Bring the ratings up to date while a model trains: a **delta read**, not a re-read. The users whose
        ratings changed since the last read, by the rules ``movierec refresh`` uses
        (``cypher/read_users_changed_since.cypher``: a RATED timestamp or ``User.ratingsChangedAt`` since then), have
        their ratings read again (the export's query, these users only); a new (user, movie) pair becomes a new edge,
        numbered after the existing ones, and a changed rating is updated in place. Users and movies the store was
        not built with, and ratings deleted since, are left as they are. Call the sampler's ``refresh`` after it.

        Returns:
            int: Edges added.
        """
        now = graph.read(cypher.load("read_server_time"))[0]["now"]
        changed = [r["userId"] for r in graph.read(cypher.load("read_users_changed_since"), since=self._since)]
        params = self.where.params()
        if params["users"] is not None:
            changed = sorted(set(changed) & set(params["users"]))
        added = 0
        if changed:
            params["users"] = changed
            users, movies, stars, stamps = [], [], [], []
            for r in graph.read(cypher.load("export_ratings"), **params):
                users += [r["userId"]] * len(r["movieIds"])
                movies += list(r["movieIds"])
                stars += list(r["ratings"])
                stamps += list(r["timestamps"])
            u, u_found = positions(self.user_ids, np.asarray(users, dtype=np.int64))
            m, m_found = positions(self.movie_ids, np.asarray(movies, dtype=np.int64))
            keep = torch.from_numpy(u_found & m_found)
            key = torch.from_numpy(u * len(self.movie_ids) + m)[keep]
            stars_t = torch.tensor(stars, dtype=torch.float32)[keep]
            stamps_t = torch.tensor(stamps, dtype=torch.int64)[keep]
            known = self.edge_index[0] * len(self.movie_ids) + self.edge_index[1]
            order = torch.argsort(known)
            at = torch.searchsorted(known[order], key).clamp(max=max(known.numel() - 1, 0))
            exists = known[order][at] == key
            if self.edge_label is not None and self.time is not None:
                self.edge_label[order[at[exists]]] = stars_t[exists]
                self.time[order[at[exists]]] = stamps_t[exists]
                self.edge_label = torch.cat([self.edge_label, stars_t[~exists]])
                self.time = torch.cat([self.time, stamps_t[~exists]])
            fresh = key[~exists]
            added = int(fresh.numel())
            if added:
                self.edge_index = torch.cat([self.edge_index, torch.stack([fresh // len(self.movie_ids),
                                                                           fresh % len(self.movie_ids)])], dim=1)
                self._edges.clear()
                size = (len(self.user_ids), len(self.movie_ids))
                self.put_edge_index((self.edge_index[0], self.edge_index[1]), edge_type=RATES, layout="coo", size=size)
                self.put_edge_index((self.edge_index[1], self.edge_index[0]), edge_type=REV_RATES, layout="coo",
                                    size=size[::-1])
        self._since, self.read_at = now, now.iso_format()
        return added

    @property
    def num_nodes(self) -> dict[str, int]:
        return {USER: len(self.user_ids), MOVIE: len(self.movie_ids)}

    def _put_edge_index(self, edge_index: Any, edge_attr: EdgeAttr) -> bool:
        self._edges[(edge_attr.edge_type, edge_attr.layout)] = edge_index
        self._sizes[edge_attr.edge_type] = edge_attr.size
        return True

    def _get_edge_index(self, edge_attr: EdgeAttr) -> Any:
        """The edges of ``edge_attr.edge_type`` in its layout: COO as read, CSR ``(rowptr, col)`` and CSC ``(row,
        colptr)`` built from it on first use and kept."""
        key = (edge_attr.edge_type, edge_attr.layout)
        if key not in self._edges and (edge_attr.edge_type, EdgeLayout.COO) in self._edges:
            row, col = self._edges[(edge_attr.edge_type, EdgeLayout.COO)]
            size = self._sizes[edge_attr.edge_type] or (int(row.max()) + 1, int(col.max()) + 1)
            if edge_attr.layout == EdgeLayout.CSR:
                order = torch.argsort(row, stable=True)
                self._edges[key] = (_pointers(row[order], size[0]), col[order])
            elif edge_attr.layout == EdgeLayout.CSC:
                order = torch.argsort(col, stable=True)
                self._edges[key] = (row[order], _pointers(col[order], size[1]))
        return self._edges.get(key)

    def _remove_edge_index(self, edge_attr: EdgeAttr) -> bool:
        return self._edges.pop((edge_attr.edge_type, edge_attr.layout), None) is not None

    def get_all_edge_attrs(self) -> list[EdgeAttr]:
        return [EdgeAttr(edge_type, layout, size=self._sizes[edge_type]) for edge_type, layout in self._edges
                if layout == EdgeLayout.COO]


def _pointers(sorted_index: Tensor, count: int) -> Tensor:
    """``[count + 1]`` compressed pointers of a sorted index."""
    return torch.cat([torch.zeros(1, dtype=torch.long), torch.bincount(sorted_index, minlength=count).cumsum(0)])


class Neo4jFeatureStore(FeatureStore):
    """Node and edge attributes fetched from Neo4j by index, with a bounded cache.

    Attributes served (``fs[group, name, index]``, ``index`` a tensor of indices or ``None`` for all):

    - ``('user', 'node_id')``, ``('movie', 'node_id')``: userId / movieId (from the topology);
    - ``('movie', 'x')``: the export's movie features, fetched from Neo4j;
    - ``(('user', 'rates', 'movie'), 'edge_label')`` and ``'time'``: each edge's rating and epoch seconds, fetched
      from Neo4j (PyG's loaders give a batch's edge ids as ``e_id``; the loaders fetch node attributes only).

    User demographics (``('user', 'x')`` of ml-100k / ml-1m) are not served: the ``movierec`` models learn users
    from ids.

    **Workers.** With ``num_workers > 0`` each loader worker is another process: a driver's sockets must not be
    shared across it, so the store opens its own connection in each process the first time that process fetches
    (``settings``), and drops it when pickled. It only reads: a run killed mid-epoch leaves nothing in Neo4j.

    Args:
        graph (Graph): The database, for this process.
        graph_store (Neo4jGraphStore): The topology (ids, edge numbering, year statistics).
        cache_size (int): Rows kept per cached attribute. (default: ``200000``)
        settings (Neo4jSettings, optional): How another process (a loader worker) connects. (default: only this
            process fetches; a worker that needs to raises)
        prefetch (bool): Fetch every movie's features now, when they fit in the cache (62,423 rows at 25M, a few
            queries), rather than batch by batch. (default: ``True``)
    """

    def __init__(self, graph: Graph, graph_store: Neo4jGraphStore, cache_size: int = DEFAULT_CACHE,
                 settings: Neo4jSettings | None = None, prefetch: bool = True) -> None:
        super().__init__()
        self._graph: Graph | None = graph
        self._pid = os.getpid()
        self.settings = settings
        self.gs = graph_store
        self.genres = [r["name"] for r in graph.read(cypher.load("export_genres"))]
        self._column = {g: i for i, g in enumerate(self.genres)}
        width = len(self.genres) + 2
        self.movie_cache = RingCache(len(graph_store.movie_ids), cache_size, [(width, torch.float32)])
        self.edge_cache = RingCache(graph_store.edge_index.size(1), cache_size, [(1, torch.float32), (1, torch.int64)])
        if prefetch and len(graph_store.movie_ids) <= cache_size:
            self.movie_features(torch.arange(len(graph_store.movie_ids)))

    @property
    def graph(self) -> Graph:
        """This process's connection: the one given, or in a loader worker its own, opened on first use."""
        if self._graph is None or self._pid != os.getpid():
            if self.settings is None:
                raise ExportError("a loader worker needs its own connection: give Neo4jFeatureStore settings= "
                                  "(or num_workers=0)")
            self._graph, self._pid = connect(self.settings), os.getpid()
        return self._graph

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_graph"] = None  # a driver does not cross processes
        return state

    # what PyG asks ------------------------------------------------------------------------------------------------

    def get_all_tensor_attrs(self) -> list[TensorAttr]:
        return [TensorAttr(USER, "node_id"), TensorAttr(MOVIE, "node_id"), TensorAttr(MOVIE, "x")]

    def _get_tensor_size(self, attr: TensorAttr) -> tuple[int, ...] | None:
        if attr.group_name == RATES and attr.attr_name in ("edge_label", "time"):
            return (self.gs.edge_index.size(1),)
        count = self.gs.num_nodes.get(attr.group_name) if isinstance(attr.group_name, str) else None
        if count is None:
            return None
        return (count, len(self.genres) + 2) if attr.attr_name == "x" else (count,)

    def _get_tensor(self, attr: TensorAttr) -> Tensor | None:
        group, name = attr.group_name, attr.attr_name
        index = attr.index if attr.is_set("index") and attr.index is not None else None
        if group == RATES and name in ("edge_label", "time"):
            edges = torch.arange(self.gs.edge_index.size(1)) if index is None else torch.as_tensor(index).long()
            values = self.edge_values(edges)
            return values[0] if name == "edge_label" else values[1]
        if group not in (USER, MOVIE):
            return None
        ids = torch.from_numpy(self.gs.user_ids if group == USER else self.gs.movie_ids)
        rows = torch.arange(len(ids)) if index is None else torch.as_tensor(index).long()
        if name == "node_id":
            return ids[rows]
        if group == MOVIE and name == "x":
            return self.movie_features(rows)
        return None

    def _put_tensor(self, tensor: Any, attr: TensorAttr) -> bool:
        raise NotImplementedError("the Neo4j feature store reads the graph; write to Neo4j with movierec commands")

    def _remove_tensor(self, attr: TensorAttr) -> bool:
        raise NotImplementedError("the Neo4j feature store reads the graph; it removes nothing")

    # what it fetches ----------------------------------------------------------------------------------------------

    def movie_features(self, rows: Tensor) -> Tensor:
        """``[n, genres + 2]`` the export's features of the movies at these indices: from the cache, the misses
        fetched from Neo4j (one query per :data:`FETCH`) and cached."""
        (x,), missing = self.movie_cache.get(rows)
        if bool(missing.any()):
            fetch = rows[missing].unique()
            fetched = torch.zeros(fetch.numel(), x.size(1))
            at = {int(m): i for i, m in enumerate(self.gs.movie_ids[fetch.numpy()].tolist())}
            ids = list(at)
            for start in range(0, len(ids), FETCH):
                for r in self.graph.read(cypher.load("read_movie_features"), movieIds=ids[start:start + FETCH]):
                    fetched[at[int(r["movieId"])]] = self._encode(r["year"], r["genres"])
            self.movie_cache.put(fetch, [fetched])
            x[missing] = fetched[torch.searchsorted(fetch, rows[missing])]
        return x

    def edge_values(self, edges: Tensor) -> tuple[Tensor, Tensor]:
        """``[n]`` ratings (float32) and times (epoch seconds, int64) of these edge ids: from the cache, the misses
        fetched from Neo4j (``cypher/read_rating_values.cypher``, one record of lists per :data:`FETCH`) and
        cached. A rating deleted since the topology was read comes back NaN."""
        if self.gs.edge_label is not None and self.gs.time is not None:  # read with the topology
            return self.gs.edge_label[edges], self.gs.time[edges]
        (rating, stamp), missing = self.edge_cache.get(edges)
        rating, stamp = rating.view(-1), stamp.view(-1)
        if bool(missing.any()):
            fetch = edges[missing].unique()
            got_rating = torch.full((fetch.numel(),), float("nan"))
            got_time = torch.zeros(fetch.numel(), dtype=torch.long)
            for start in range(0, fetch.numel(), FETCH):
                chunk = fetch[start:start + FETCH]
                pairs = self.gs.edge_index[:, chunk].numpy()
                record = self.graph.read(cypher.load("read_rating_values"), userIds=self.gs.user_ids[pairs[0]].tolist(),
                                         movieIds=self.gs.movie_ids[pairs[1]].tolist())[0]
                where = torch.tensor(record["rows"], dtype=torch.long) + start
                got_rating[where] = torch.tensor(record["ratings"], dtype=torch.float32)
                got_time[where] = torch.tensor(record["times"], dtype=torch.long)
            self.edge_cache.put(fetch, [got_rating, got_time])
            at = torch.searchsorted(fetch, edges[missing])
            rating[missing], stamp[missing] = got_rating[at], got_time[at]
        return rating, stamp

    def _encode(self, year: int | None, genres: list[str]) -> Tensor:
        row = torch.zeros(len(self.genres) + 2)
        for g in genres:
            if g in self._column:
                row[self._column[g]] = 1.0
        if year is None:
            row[-1] = 1.0
        else:
            row[-2] = (year - self.gs.year_mean) / self.gs.year_std
        return row


def stores_graph(fs: Neo4jFeatureStore) -> HeteroData:
    """The graph of the stores as a :class:`HeteroData`, for what trains beside the loader (the split, full-graph
    validation, the run directory): ids, rating edges with ratings and times (the graph store's, which must hold
    them: ``ratings="local"``), every movie's features through the feature store; ``data.remote = (fs, gs)`` names
    the stores, which ``sage --loader neo4j`` samples its batches from. No titles and no user demographics.

    Raises:
        ValueError: The graph store was read with ``ratings="remote"``.
    """
    gs = fs.gs
    if gs.edge_label is None or gs.time is None:
        raise ValueError("training from the stores needs the ratings read with the topology (ratings='local')")
    data = HeteroData()
    data[USER].node_id = torch.from_numpy(gs.user_ids.copy())
    data[USER].num_nodes = len(gs.user_ids)
    data[MOVIE].node_id = torch.from_numpy(gs.movie_ids.copy())
    data[MOVIE].num_nodes = len(gs.movie_ids)
    data[MOVIE].x = fs.movie_features(torch.arange(len(gs.movie_ids)))
    data.genres = list(fs.genres)
    data[RATES].edge_index = gs.edge_index
    data[RATES].edge_label = gs.edge_label
    data[RATES].time = gs.time
    data[REV_RATES].edge_index = gs.edge_index.flip(0)
    data.remote = (fs, gs)
    return data
