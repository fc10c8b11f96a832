"""The models: a heterogeneous GraphSAGE rating regressor and a LightGCN ranker, and the scorer both export.

Every trained model is reduced to :class:`LinearScorer`s: a score is
``offset + user_bias[u] + movie_bias[m] + <user[u], movie[m]>``, so each side is projected
once and all users × all movies is one matrix product (ml-latest-small: 610 × 9,742 in about
0.3 s on the 2-core development machine, README). A run keeps one scorer for ranking and one for ratings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn
from torch_geometric.nn import LightGCN, SAGEConv, to_hetero
from torch_geometric.nn.conv.gcn_conv import gcn_norm
from torch_geometric.utils import to_torch_csr_tensor

from movierec.gnn.hetero import MOVIE, USER


@dataclass
class LinearScorer:
    """``offset + user_bias[u] + movie_bias[m] + user[u] · movie[m]`` for any (user, movie).

    Args:
        user (torch.Tensor): ``[U, d]`` user factors (``d`` may be 0).
        movie (torch.Tensor): ``[M, d]`` movie factors.
        user_bias (torch.Tensor): ``[U]``.
        movie_bias (torch.Tensor): ``[M]``.
        offset (float): Global offset (e.g. the mean training rating).

    Example:
        >>> s = LinearScorer(torch.ones(2, 1), torch.ones(3, 1), torch.zeros(2), torch.zeros(3), 3.0)
        >>> s.scores(torch.tensor([0])).tolist()
        [[4.0, 4.0, 4.0]]
    """

    user: Tensor
    movie: Tensor
    user_bias: Tensor
    movie_bias: Tensor
    offset: float

    def scores(self, user_index: Tensor) -> Tensor:
        """``[len(user_index), M]`` scores of every movie."""
        out = self.user[user_index] @ self.movie.T
        out += self.movie_bias.unsqueeze(0)
        out += (self.user_bias[user_index] + self.offset).unsqueeze(1)
        return out

    def pairs(self, user_index: Tensor, movie_index: Tensor) -> Tensor:
        """``[N]`` scores of (user, movie) pairs."""
        dot = (self.user[user_index] * self.movie[movie_index]).sum(-1)
        return self.offset + self.user_bias[user_index] + self.movie_bias[movie_index] + dot

    def to(self, device: torch.device | str) -> LinearScorer:
        return LinearScorer(self.user.to(device), self.movie.to(device), self.user_bias.to(device),
                            self.movie_bias.to(device), self.offset)

    def state(self) -> dict[str, Any]:
        return {"user": self.user.cpu(), "movie": self.movie.cpu(), "user_bias": self.user_bias.cpu(),
                "movie_bias": self.movie_bias.cpu(), "offset": float(self.offset)}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> LinearScorer:
        return cls(state["user"].float(), state["movie"].float(), state["user_bias"].float(),
                   state["movie_bias"].float(), float(state["offset"]))

    @staticmethod
    def average(scorers: list[LinearScorer]) -> LinearScorer:
        """The scorer whose scores are the mean of ``scorers``' (factors concatenated, scaled by 1/n)."""
        n = len(scorers)
        return LinearScorer(
            user=torch.cat([s.user for s in scorers], dim=1) / n,
            movie=torch.cat([s.movie for s in scorers], dim=1),
            user_bias=torch.stack([s.user_bias for s in scorers]).mean(0),
            movie_bias=torch.stack([s.movie_bias for s in scorers]).mean(0),
            offset=sum(s.offset for s in scorers) / n,
        )


def rating_levels(ratings: Tensor) -> list[int]:
    """The distinct rating levels, in half stars (``4.5`` → ``9``), sorted."""
    return sorted({int(v) for v in (ratings * 2).round().long().unique().tolist()})


def typed_edge_index(edge_index: Tensor, ratings: Tensor, levels: list[int]) -> dict[tuple[str, str, str], Tensor]:
    """Split rating edges by level (GC-MC): ``('user', 'rates_9', 'movie')`` etc., plus each reverse type.

    Every level is present (possibly with no edges), so the edge types never change between epochs.
    """
    half = (ratings * 2).round().long()
    out: dict[tuple[str, str, str], Tensor] = {}
    for level in levels:
        ei = edge_index[:, half == level]
        out[(USER, f"rates_{level}", MOVIE)] = ei
        out[(MOVIE, f"rev_rates_{level}", USER)] = ei.flip(0)
    return out


class _SageEncoder(nn.Module):
    """Homogeneous GraphSAGE layers; :func:`to_hetero` gives one copy per rating level and direction."""

    def __init__(self, hidden: int, layers: int, dropout: float) -> None:
        super().__init__()
        self.convs = nn.ModuleList([SAGEConv((hidden, hidden), hidden) for _ in range(layers)])
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor, edge_index: Tensor) -> Tensor:
        for conv in self.convs:
            x = self.dropout(conv(x, edge_index).relu())
        return x


class SageRating(nn.Module):
    """Heterogeneous GraphSAGE rating regressor.

    Node inputs are learned id embeddings plus a linear map of the node features (movie genres
    and year, user demographics where present). The encoder is a GraphSAGE stack made
    heterogeneous with :func:`torch_geometric.nn.to_hetero`, one relation per rating level and
    direction (GC-MC style), summed. The decoder is
    ``mean + b_u + b_m + <P [x_u, z_u], Q [x_m, z_m]>`` with linear side projections ``P``, ``Q``:
    each side is projected once, so scoring every pair is one matrix product
    (:meth:`scorer`), and predictions are clamped to the rating range outside training.

    Args:
        num_users (int): Users.
        num_movies (int): Movies.
        user_features (int): Width of ``data['user'].x`` (0 when absent).
        movie_features (int): Width of ``data['movie'].x``.
        levels (list[int]): Rating levels in half stars (:func:`rating_levels`).
        mean (float): Mean training rating (the decoder's offset).
        hidden (int): Embedding and hidden size. (default: ``64``)
        layers (int): GraphSAGE layers. (default: ``1``)
        dropout (float): Dropout on inputs and hidden layers. (default: ``0.3``)

    Example:
        >>> model = SageRating(3, 4, 0, 2, levels=[8, 10], mean=4.0)
        >>> sorted(model.encoder.convs[0].keys())[0]
        'movie__rev_rates_10__user'
    """

    def __init__(self, num_users: int, num_movies: int, user_features: int, movie_features: int,
                 levels: list[int], mean: float, hidden: int = 64, layers: int = 1, dropout: float = 0.3) -> None:
        super().__init__()
        self.levels = levels
        self.mean = mean
        self.user_emb = nn.Embedding(num_users, hidden)
        self.movie_emb = nn.Embedding(num_movies, hidden)
        nn.init.normal_(self.user_emb.weight, std=0.1)
        nn.init.normal_(self.movie_emb.weight, std=0.1)
        self.user_lin = nn.Linear(user_features, hidden) if user_features else None
        self.movie_lin = nn.Linear(movie_features, hidden) if movie_features else None
        edge_types = []
        for level in levels:
            edge_types += [(USER, f"rates_{level}", MOVIE), (MOVIE, f"rev_rates_{level}", USER)]
        self.encoder = to_hetero(_SageEncoder(hidden, layers, dropout), ([USER, MOVIE], edge_types), aggr="sum")
        self.dropout = nn.Dropout(dropout)
        self.user_proj = nn.Linear(2 * hidden, hidden)
        self.movie_proj = nn.Linear(2 * hidden, hidden)
        self.user_bias = nn.Embedding(num_users, 1)
        self.movie_bias = nn.Embedding(num_movies, 1)
        nn.init.zeros_(self.user_bias.weight)
        nn.init.zeros_(self.movie_bias.weight)

    def encode(self, user_nodes: Tensor, movie_nodes: Tensor, user_x: Tensor | None, movie_x: Tensor | None,
               edge_index_dict: dict[tuple[str, str, str], Tensor]) -> tuple[Tensor, Tensor]:
        """Side representations ``[x, z]`` of the given nodes (local edge indices refer to these lists).

        Args:
            user_nodes (torch.Tensor): Global user indices of the (sub)graph's user nodes.
            movie_nodes (torch.Tensor): Global movie indices.
            user_x (torch.Tensor, optional): Their features (rows match ``user_nodes``).
            movie_x (torch.Tensor, optional): Their features.
            edge_index_dict (dict): Typed edges in local indices.

        Returns:
            tuple[torch.Tensor, torch.Tensor]: ``[n_users, 2h]``, ``[n_movies, 2h]``.
        """
        xu = self.user_emb(user_nodes)
        if self.user_lin is not None and user_x is not None:
            xu = xu + self.user_lin(user_x)
        xm = self.movie_emb(movie_nodes)
        if self.movie_lin is not None and movie_x is not None:
            xm = xm + self.movie_lin(movie_x)
        xu, xm = self.dropout(xu), self.dropout(xm)
        z = self.encoder({USER: xu, MOVIE: xm}, edge_index_dict)
        return torch.cat([xu, z[USER]], dim=1), torch.cat([xm, z[MOVIE]], dim=1)

    def project(self, hu: Tensor, hm: Tensor) -> tuple[Tensor, Tensor]:
        """The decoder's side projections ``P h_u``, ``Q h_m``."""
        return self.user_proj(hu), self.movie_proj(hm)

    def decode(self, pu: Tensor, pm: Tensor, users: Tensor, movies: Tensor) -> Tensor:
        """Predicted ratings of pairs, from projected sides and global indices (unclamped)."""
        return (self.mean + self.user_bias(users).squeeze(-1) + self.movie_bias(movies).squeeze(-1)
                + (pu * pm).sum(-1))

    @torch.no_grad()
    def scorer(self, user_x: Tensor | None, movie_x: Tensor | None,
               edge_index_dict: dict[tuple[str, str, str], Tensor]) -> LinearScorer:
        """Project every node once over the given (full) message graph; the model must be in eval mode."""
        num_users, num_movies = self.user_emb.num_embeddings, self.movie_emb.num_embeddings
        device = self.user_emb.weight.device
        hu, hm = self.encode(torch.arange(num_users, device=device), torch.arange(num_movies, device=device),
                             user_x, movie_x, edge_index_dict)
        pu, pm = self.project(hu, hm)
        return LinearScorer(pu, pm, self.user_bias.weight.squeeze(-1).clone(),
                            self.movie_bias.weight.squeeze(-1).clone(), self.mean)


class LightGCNRanker(nn.Module):
    """PyG's :class:`~torch_geometric.nn.LightGCN` over the bipartite user–movie graph.

    Users are nodes ``0..U-1``, movies ``U..U+M-1``; training is BPR
    (:meth:`LightGCN.recommendation_loss`) over mini-batches of positive edges with uniform
    negative movies, each step propagating over the full (sparse) training graph. A separate
    :class:`RatingHead` turns the final embeddings into ratings.

    Args:
        num_users (int): Users.
        num_movies (int): Movies.
        hidden (int): Embedding size. (default: ``64``)
        layers (int): Propagation layers. (default: ``3``)
    """

    def __init__(self, num_users: int, num_movies: int, hidden: int = 64, layers: int = 3) -> None:
        super().__init__()
        self.num_users = num_users
        self.num_movies = num_movies
        self.gcn = LightGCN(num_users + num_movies, hidden, layers, normalize=False)

    @staticmethod
    def graph(edge_index: Tensor, num_users: int, num_movies: int) -> Tensor:
        """The symmetrically normalised adjacency ``D^-1/2 A D^-1/2`` as a torch sparse CSR matrix.

        Users are nodes ``0..U-1`` and movie ``m`` is node ``U + m``, edges in both directions.
        Normalising once here (the convolutions run with ``normalize=False``) and propagating
        with a sparse matrix product is about 5x faster on CPU than LightGCN's per-call
        ``gcn_norm`` + scatter over ``edge_index``, and needs no torch-sparse.
        """
        u, m = edge_index[0], edge_index[1] + num_users
        both = torch.stack([torch.cat([u, m]), torch.cat([m, u])])
        n = num_users + num_movies
        both, weight = gcn_norm(both, None, n, add_self_loops=False)
        return to_torch_csr_tensor(both.flip(0), weight, size=(n, n))

    def embeddings(self, graph: Tensor) -> tuple[Tensor, Tensor]:
        """Final user and movie embeddings after propagation."""
        out = self.gcn.get_embedding(graph)
        return out[:self.num_users], out[self.num_users:]


class RatingHead(nn.Module):
    """``mean + b_u + b_m + <e_u * w, e_m>`` over fixed ranking embeddings: ratings for a ranking model.

    Args:
        num_users (int): Users.
        num_movies (int): Movies.
        dim (int): Embedding size.
        mean (float): Mean training rating.
    """

    def __init__(self, num_users: int, num_movies: int, dim: int, mean: float) -> None:
        super().__init__()
        self.mean = mean
        self.user_bias = nn.Parameter(torch.zeros(num_users))
        self.movie_bias = nn.Parameter(torch.zeros(num_movies))
        self.weight = nn.Parameter(torch.zeros(dim))

    def forward(self, eu: Tensor, em: Tensor, users: Tensor, movies: Tensor) -> Tensor:
        dot = (eu[users] * self.weight * em[movies]).sum(-1)
        return self.mean + self.user_bias[users] + self.movie_bias[movies] + dot

    @torch.no_grad()
    def scorer(self, eu: Tensor, em: Tensor) -> LinearScorer:
        return LinearScorer(eu * self.weight, em.clone(), self.user_bias.detach().clone(),
                            self.movie_bias.detach().clone(), self.mean)
