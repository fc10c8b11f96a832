"""A small neighbour sampler in plain torch, for ``sage --minibatch`` without pyg-lib or torch-sparse.

Checked here (torch 2.x, torch-geometric 2.8.1, neither pyg-lib nor torch-sparse installed):
``NeighborLoader`` and ``LinkNeighborLoader`` raise ``ImportError: 'NeighborSampler' requires
either 'pyg-lib' or 'torch-sparse'`` and ``HGTLoader`` raises ``'HGTSampler' requires
'torch-sparse'``. pyg-lib is not on PyPI and torch-sparse builds from source for ~15 minutes,
so this module samples the bipartite user–movie graph itself; with pyg-lib installed,
``LinkNeighborLoader`` would do the same job.

For a batch of target edges it takes their users and movies as seeds and, per hop, draws
``k`` incident training edges per frontier node (uniformly, with replacement, duplicates
removed), then drops the target edges themselves so that no rating is passed to its own
prediction, as in full-graph training. The result is the union subgraph in local indices,
typed by rating level, which :class:`~movierec.gnn.models.sage.SageRating` encodes like the full graph.
Validation and scoring still run one full-graph pass (inference needs no gradients).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from movierec.gnn.data.hetero import typed_edge_index


@dataclass
class SampledBatch:
    """One sampled subgraph.

    Args:
        user_nodes (torch.Tensor): Global indices of its users (local index = position).
        movie_nodes (torch.Tensor): Global indices of its movies.
        edge_index_dict (dict): Typed message edges in local indices.
        target_user (torch.Tensor): Local user index of each target edge.
        target_movie (torch.Tensor): Local movie index of each target edge.
    """

    user_nodes: Tensor
    movie_nodes: Tensor
    edge_index_dict: dict[tuple[str, str, str], Tensor]
    target_user: Tensor
    target_movie: Tensor


class NeighborSampler:
    """Uniform ``k``-per-hop neighbour sampling over training rating edges.

    Args:
        edge_index (torch.Tensor): ``[2, E]`` training (user, movie) edges.
        ratings (torch.Tensor): ``[E]`` their ratings (for the edge types).
        num_users (int): Users.
        num_movies (int): Movies.
        num_neighbors (Sequence[int]): Edges drawn per node and hop, e.g. ``(20,)`` or ``(10, 5)``.
        levels (list[int]): Rating levels in half stars.

    Example:
        >>> sampler = NeighborSampler(torch.tensor([[0, 1], [1, 0]]), torch.tensor([4.0, 3.0]), 2, 2, [5], [6, 8])
        >>> batch = sampler.sample(torch.tensor([0]), torch.Generator().manual_seed(0))
        >>> batch.user_nodes.tolist(), batch.movie_nodes.tolist()
        ([0], [1])
    """

    def __init__(self, edge_index: Tensor, ratings: Tensor, num_users: int, num_movies: int,
                 num_neighbors: Sequence[int], levels: list[int]) -> None:
        self.edge_index = edge_index.cpu()
        self.ratings = ratings.cpu()
        self.device = edge_index.device
        self.num_neighbors = list(num_neighbors)
        self.levels = levels
        self.by_user, self.user_ptr = _csr(self.edge_index[0], num_users)
        self.by_movie, self.movie_ptr = _csr(self.edge_index[1], num_movies)

    def sample(self, target: Tensor, generator: torch.Generator) -> SampledBatch:
        """Sample the subgraph around the target edges (indices into the training edges)."""
        target = target.cpu()
        users = self.edge_index[0, target].unique()
        movies = self.edge_index[1, target].unique()
        frontier_u, frontier_m = users, movies
        picked: list[Tensor] = []
        for k in self.num_neighbors:
            from_u = _draw(self.by_user, self.user_ptr, frontier_u, k, generator)
            from_m = _draw(self.by_movie, self.movie_ptr, frontier_m, k, generator)
            picked += [from_u, from_m]
            new_m = self.edge_index[1, from_u].unique()
            new_u = self.edge_index[0, from_m].unique()
            frontier_m = new_m[~torch.isin(new_m, movies)]
            frontier_u = new_u[~torch.isin(new_u, users)]
            movies = torch.cat([movies, frontier_m]).unique()
            users = torch.cat([users, frontier_u]).unique()
        edges = torch.cat(picked).unique() if picked else torch.zeros(0, dtype=torch.long)
        edges = edges[~torch.isin(edges, target)]
        local = torch.stack([torch.searchsorted(users, self.edge_index[0, edges]),
                             torch.searchsorted(movies, self.edge_index[1, edges])])
        device = self.device
        typed = typed_edge_index(local.to(device), self.ratings[edges].to(device), self.levels)
        return SampledBatch(
            user_nodes=users.to(device), movie_nodes=movies.to(device), edge_index_dict=typed,
            target_user=torch.searchsorted(users, self.edge_index[0, target]).to(device),
            target_movie=torch.searchsorted(movies, self.edge_index[1, target]).to(device),
        )


def _csr(index: Tensor, num_nodes: int) -> tuple[Tensor, Tensor]:
    """Edge ids ordered by ``index`` and the row pointer."""
    order = torch.argsort(index, stable=True)
    counts = torch.bincount(index, minlength=num_nodes)
    ptr = torch.zeros(num_nodes + 1, dtype=torch.long)
    ptr[1:] = counts.cumsum(0)
    return order, ptr


def _draw(order: Tensor, ptr: Tensor, nodes: Tensor, k: int, generator: torch.Generator) -> Tensor:
    """``k`` incident edge ids per node, uniformly with replacement (nodes without edges give none)."""
    if len(nodes) == 0 or k <= 0:
        return torch.zeros(0, dtype=torch.long)
    start, deg = ptr[nodes], ptr[nodes + 1] - ptr[nodes]
    keep = deg > 0
    start, deg = start[keep], deg[keep]
    offsets = (torch.rand(len(deg), k, generator=generator) * deg.unsqueeze(1)).long()
    return order[(start.unsqueeze(1) + offsets).flatten()]
