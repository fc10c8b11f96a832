"""A heterogeneous neighbour sampler that PyG's :class:`~torch_geometric.loader.NodeLoader` and
:class:`~torch_geometric.loader.LinkLoader` accept, in plain torch.

PyG's own ``NeighborSampler`` needs pyg-lib or torch-sparse at its first batch (neither has wheels for this setup);
this is a :class:`~torch_geometric.sampler.BaseSampler` of its own. It takes the topology from any
:class:`~torch_geometric.data.GraphStore` (:class:`~movierec.gnn.data.remote.stores.Neo4jGraphStore`, or the exported
:class:`~torch_geometric.data.HeteroData`, which is one too) as CSC once, and PyG's ``node_sample`` / ``edge_sample``
turn loader inputs into seeds and add the labels (negative sampling included), so batches carry the metadata the
loaders read.

Per hop, for every node added by the previous hop (the seeds first) and every edge type into its type, it draws up to
``num_neighbors[hop]`` incoming edges uniformly without replacement (all of them when there are fewer; ``k``
distinct offsets by Floyd's algorithm, vectorised over the nodes). Randomness is torch's global generator, so
``torch.manual_seed`` fixes the batches, whichever store the topology came from.

Example:
    >>> sampler = Neo4jNeighborSampler(graph_store, num_neighbors=[10, 5])          # doctest: +SKIP
    >>> loader = LinkLoader((feature_store, graph_store), link_sampler=sampler,       # doctest: +SKIP
    ...                     edge_label_index=(RATES, pairs), neg_sampling="binary", batch_size=256)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor
from torch_geometric.data import GraphStore
from torch_geometric.sampler import (
    BaseSampler,
    EdgeSamplerInput,
    HeteroSamplerOutput,
    NegativeSampling,
    NodeSamplerInput,
)
from torch_geometric.sampler.neighbor_sampler import edge_sample, node_sample

EdgeType = tuple[str, str, str]


class Neo4jNeighborSampler(BaseSampler):
    """Uniform ``k``-per-hop heterogeneous neighbour sampling over a graph store's topology.

    Args:
        graph_store (GraphStore): Where the topology comes from (read once, as CSC).
        num_neighbors (Sequence[int]): Incoming edges drawn per node, edge type and hop, e.g. ``[10, 5]``.
        message_edges (dict[EdgeType, Tensor], optional): Per edge type, a ``[E]`` bool mask of the edges that may
            carry messages (e.g. the training edges, so that validation and test ratings stay out). (default: all)

    Raises:
        ValueError: ``num_neighbors`` is empty or holds a value below 1.
    """

    def __init__(self, graph_store: GraphStore, num_neighbors: Sequence[int],
                 message_edges: dict[EdgeType, Tensor] | None = None) -> None:
        if not num_neighbors or min(num_neighbors) < 1:
            raise ValueError(f"num_neighbors must be positive counts per hop, got {list(num_neighbors)}")
        self.num_neighbors = list(num_neighbors)
        self.refresh(graph_store, message_edges)

    def refresh(self, graph_store: GraphStore, message_edges: dict[EdgeType, Tensor] | None = None) -> None:
        """Take the topology from ``graph_store`` again (after its ``refresh``): an index rebuilt in memory, no read
        from Neo4j. Edges beyond a mask's length (those added since) carry messages."""
        row_dict, colptr_dict, perm_dict = graph_store.csc()
        self.row: dict[EdgeType, Tensor] = {}
        self.colptr: dict[EdgeType, Tensor] = {}
        self.perm: dict[EdgeType, Tensor] = {}
        self.num_nodes: dict[str, int] = {}
        sizes = {attr.edge_type: attr.size for attr in graph_store.get_all_edge_attrs()}
        for edge_type, colptr in colptr_dict.items():
            row = row_dict[edge_type]
            perm = perm_dict[edge_type] if perm_dict[edge_type] is not None else torch.arange(row.numel())
            size = sizes.get(edge_type)
            num_src = int(size[0]) if size else int(row.max()) + 1 if row.numel() else 0
            self.num_nodes[edge_type[0]] = max(self.num_nodes.get(edge_type[0], 0), num_src)
            self.num_nodes[edge_type[-1]] = max(self.num_nodes.get(edge_type[-1], 0), colptr.numel() - 1)
            if message_edges is not None and edge_type in message_edges:
                mask = message_edges[edge_type]
                if mask.numel() < row.numel():  # edges added since the mask was made: new training ratings
                    mask = torch.cat([mask, torch.ones(row.numel() - mask.numel(), dtype=torch.bool)])
                keep = mask[perm]
                counts = torch.bincount(torch.repeat_interleave(torch.arange(colptr.numel() - 1),
                                                                colptr[1:] - colptr[:-1])[keep],
                                        minlength=colptr.numel() - 1)
                colptr = torch.cat([torch.zeros(1, dtype=torch.long), counts.cumsum(0)])
                row, perm = row[keep], perm[keep]
            self.row[edge_type], self.colptr[edge_type], self.perm[edge_type] = row.long(), colptr.long(), perm.long()
        self.edge_types = list(self.row)

    # what the loaders call ----------------------------------------------------------------------------------------

    def sample_from_nodes(self, index: NodeSamplerInput, **kwargs: Any) -> HeteroSamplerOutput:
        return node_sample(index, self._sample)

    def sample_from_edges(self, index: EdgeSamplerInput, neg_sampling: NegativeSampling | None = None
                          ) -> HeteroSamplerOutput:
        return edge_sample(index, self._sample, self.num_nodes, False, None, neg_sampling)

    @property
    def edge_permutation(self) -> None:
        return None  # edge ids are the store's own

    # sampling -----------------------------------------------------------------------------------------------------

    def _sample(self, seed: dict[str, Tensor], seed_time: Any = None, **kwargs: Any) -> HeteroSamplerOutput:
        if seed_time is not None:
            raise ValueError("temporal sampling is not supported: give seeds without times")
        nodes = {t: [seed[t].long()] for t in self.num_nodes if t in seed}
        for t in self.num_nodes:
            nodes.setdefault(t, [torch.zeros(0, dtype=torch.long)])
        local = {t: torch.full((n,), -1, dtype=torch.long) for t, n in self.num_nodes.items()}
        counts = {t: 0 for t in self.num_nodes}
        for t, parts in nodes.items():
            local[t][parts[0]] = torch.arange(parts[0].numel())
            counts[t] = parts[0].numel()
        frontier = {t: parts[0] for t, parts in nodes.items()}
        rows: dict[EdgeType, list[Tensor]] = {e: [] for e in self.edge_types}
        cols: dict[EdgeType, list[Tensor]] = {e: [] for e in self.edge_types}
        edges: dict[EdgeType, list[Tensor]] = {e: [] for e in self.edge_types}
        sampled_nodes = {t: [counts[t]] for t in self.num_nodes}
        sampled_edges: dict[EdgeType, list[int]] = {e: [] for e in self.edge_types}
        for k in self.num_neighbors:
            added: dict[str, list[Tensor]] = {t: [] for t in self.num_nodes}
            for edge_type in self.edge_types:
                src_t, dst_t = edge_type[0], edge_type[-1]
                dst = frontier[dst_t]
                position, dst_of = _draw(self.colptr[edge_type], dst, k)
                src = self.row[edge_type][position]
                fresh = src[local[src_t][src] < 0].unique()
                if fresh.numel():
                    local[src_t][fresh] = torch.arange(counts[src_t], counts[src_t] + fresh.numel())
                    counts[src_t] += fresh.numel()
                    added[src_t].append(fresh)
                rows[edge_type].append(local[src_t][src])
                cols[edge_type].append(local[dst_t][dst_of])
                edges[edge_type].append(self.perm[edge_type][position])
                sampled_edges[edge_type].append(int(position.numel()))
            frontier = {t: torch.cat(a) if a else torch.zeros(0, dtype=torch.long) for t, a in added.items()}
            for t in self.num_nodes:
                nodes[t].append(frontier[t])
                sampled_nodes[t].append(int(frontier[t].numel()))
        node = {t: torch.cat(parts) for t, parts in nodes.items()}
        return HeteroSamplerOutput(
            node=node,
            row={e: torch.cat(rows[e]) for e in self.edge_types},
            col={e: torch.cat(cols[e]) for e in self.edge_types},
            edge={e: torch.cat(edges[e]) for e in self.edge_types},
            num_sampled_nodes=sampled_nodes,
            num_sampled_edges=sampled_edges,
        )


def _draw(colptr: Tensor, dst: Tensor, k: int) -> tuple[Tensor, Tensor]:
    """Up to ``k`` incoming edges of each node of ``dst``, uniformly without replacement: their positions in the CSC
    arrays (each node's in CSC order) and the destination node of each. A node with ``k`` edges or fewer keeps them
    all; the others draw ``k`` distinct offsets by Floyd's algorithm, all such nodes at once, ``k`` steps: the cost
    grows with the nodes and ``k``, not with their degrees (a 25M graph's most rated movie has 81,491 raters)."""
    if dst.numel() == 0:
        empty = torch.zeros(0, dtype=torch.long)
        return empty, empty
    start, degree = colptr[dst], colptr[dst + 1] - colptr[dst]
    capped = degree.clamp(max=k)
    segment = torch.repeat_interleave(torch.arange(dst.numel()), capped)
    offset = torch.arange(segment.numel()) - torch.repeat_interleave(capped.cumsum(0) - capped, capped)
    big = (degree > k).nonzero().squeeze(1)
    if big.numel():
        n = degree[big]
        chosen = torch.empty(big.numel(), k, dtype=torch.long)
        for i in range(k):  # Floyd: for j = n-k .. n-1 take t in [0, j], or j when t is taken already
            j = n - k + i
            t = (torch.rand(big.numel(), dtype=torch.float64) * (j + 1)).long().clamp(max=j)
            taken = (chosen[:, :i] == t.unsqueeze(1)).any(1)
            chosen[:, i] = torch.where(taken, j, t)
        slots = (capped.cumsum(0) - capped)[big]  # where each big node's k slots start
        offset[slots.unsqueeze(1) + torch.arange(k)] = chosen.sort(dim=1).values
    return start[segment] + offset, dst[segment]
