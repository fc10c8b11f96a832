"""What every trained model is reduced to for serving: scorers.

A :class:`LinearScorer` scores from two factor tables (``offset + b_u + b_m + p_u · q_m``): the rating model of
every run, whose parts Cypher reads (``ratingBias`` / ``ratingFactors``), and the ranker of the factor models.
Scoring all users × all movies is one matrix product (ml-latest-small: 610 × 9,742 in about 0.3 s on the
2-core development machine). The closed-form rankers
score from what the user rated: ``score(u) = h_u W`` with ``h_u`` the user's row of the training
signal (:class:`History`: the ratings as edge weights, or 1 per rating) and ``W`` a movie × movie
operator. Every scorer offers ``scores(user_index) -> [n, M]`` (higher = better), ``state()`` and a
``from_state`` that rebuilds it; the history is not part of the state (it is the run's training
edges, kept in ``split.pt``).

Example:
    >>> history = History.from_edges(torch.tensor([[0, 0], [1, 2]]), torch.tensor([4.0, 5.0]), 1, 3)
    >>> history.dense(torch.tensor([0])).tolist()
    [[0.0, 4.0, 5.0]]
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor

from movierec.core.quiet import csr_tensors

WEIGHTINGS = ("rating", "binary")
COLUMN_BLOCK = 256  # columns of an item-item operator multiplied at once: 10,000 rows x 256 fit the L2/L3 caches


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

    def fold_in(self, rows: History) -> Tensor:
        """``[n, M]`` ranking scores of the ``n`` rows of another history (users scored from their current ratings).

        Each user is the weighted mean of their movies' vectors (LightGCN's one-layer propagation). The user bias
        is 0: it shifts every movie of a user alike, so it does not change their ranking.
        """
        weight = rows.row_sums().clamp(min=1e-12)
        user = torch.sparse.mm(rows.sparse().to_sparse_coo(), self.movie) / weight.unsqueeze(1)
        folded = LinearScorer(user, self.movie, torch.zeros(rows.num_users), self.movie_bias, self.offset)
        return folded.scores(torch.arange(rows.num_users))

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

@dataclass
class History:
    """Each user's training signal as a CSR matrix ``[U, M]`` (row pointers, movie indices, values).

    Args:
        indptr (torch.Tensor): ``[U + 1]`` row pointers.
        indices (torch.Tensor): ``[E]`` movie indices, sorted within each row.
        values (torch.Tensor): ``[E]`` float32 values (the rating, or 1).
        num_movies (int): Columns.
    """

    indptr: Tensor
    indices: Tensor
    values: Tensor
    num_movies: int

    @classmethod
    def from_edges(cls, edge_index: Tensor, rating: Tensor, num_users: int, num_movies: int,
                   weighting: str = "rating") -> History:
        """The history of ``(user, movie)`` edges: values are the ratings (``"rating"``) or 1 (``"binary"``)."""
        if weighting not in WEIGHTINGS:
            raise ValueError(f"weighting must be one of {WEIGHTINGS}, got {weighting!r}")
        users, movies = edge_index[0].long(), edge_index[1].long()
        order = torch.argsort(users * num_movies + movies)
        values = rating.float()[order] if weighting == "rating" else torch.ones(len(order))
        counts = torch.bincount(users, minlength=num_users)
        indptr = torch.cat([torch.zeros(1, dtype=torch.long), torch.cumsum(counts, 0)])
        return cls(indptr, movies[order], values, num_movies)

    @property
    def num_users(self) -> int:
        return len(self.indptr) - 1

    def sparse(self, users: Tensor | None = None, columns: Tensor | None = None) -> Tensor:
        """Rows ``users`` (default: all) as a sparse CSR tensor ``[n, M]``, or ``[n, len(columns)]`` restricted
        to the movies ``columns`` (sorted), in their order."""
        if users is None:
            users = torch.arange(self.num_users)
        start, end = self.indptr[users], self.indptr[users + 1]
        counts = end - start
        take = torch.repeat_interleave(start - torch.cumsum(counts, 0) + counts, counts) + torch.arange(
            int(counts.sum()))
        rows = torch.repeat_interleave(torch.arange(len(users)), counts)
        indices, values, width = self.indices[take], self.values[take], self.num_movies
        if columns is not None:
            position = torch.full((self.num_movies,), -1, dtype=torch.long)
            position[columns] = torch.arange(len(columns))
            keep = position[indices] >= 0
            rows, indices, values, width = rows[keep], position[indices[keep]], values[keep], len(columns)
        per_row = torch.bincount(rows, minlength=len(users))
        indptr = torch.cat([torch.zeros(1, dtype=torch.long), torch.cumsum(per_row, 0)])
        with csr_tensors():
            return torch.sparse_csr_tensor(indptr, indices, values, (len(users), width), check_invariants=False)

    def dense(self, users: Tensor) -> Tensor:
        """Rows ``users`` as a dense ``[n, M]`` float32 matrix."""
        return self.sparse(users).to_dense()

    def column_sums(self) -> Tensor:
        """``[M]`` sum of each movie's values (its weighted degree)."""
        return torch.zeros(self.num_movies).index_add_(0, self.indices, self.values)

    def row_sums(self) -> Tensor:
        """``[U]`` sum of each user's values."""
        rows = torch.repeat_interleave(torch.arange(self.num_users), self.indptr[1:] - self.indptr[:-1])
        return torch.zeros(self.num_users).index_add_(0, rows, self.values)


@dataclass
class ItemItemScorer:
    """``score(u) = h_u[items] W`` over the movies ``items`` the model covers; other movies score ``-inf``.

    Args:
        history (History): The users' training signal.
        items (torch.Tensor): ``[N]`` movie indices of ``W``'s rows and columns.
        weight (torch.Tensor): ``[N, N]`` dense float32 operator (row: a rated movie, column: a scored one).
        kind (str): Name recorded in the state. (default: ``"item_item"``)
    """

    history: History
    items: Tensor
    weight: Tensor
    kind: str = "item_item"
    _blocks: list[Tensor] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.weight = self.weight.contiguous()  # sparse @ dense is many times slower on a column-major W

    def scores(self, user_index: Tensor) -> Tensor:
        out = torch.full((len(user_index), self.history.num_movies), -math.inf)
        out[:, self.items] = self.item_scores(user_index)
        return out

    def item_scores(self, user_index: Tensor) -> Tensor:
        """``[n, N]`` scores of the covered movies only (column ``j`` is movie ``items[j]``): what top-K ranks."""
        return self._apply(self.history.sparse(user_index.long(), columns=self.items))

    def fold_in(self, rows: History) -> Tensor:
        """``[n, M]`` scores of the ``n`` rows of another history (users scored from their current ratings)."""
        out = torch.full((rows.num_users, self.history.num_movies), -math.inf)
        out[:, self.items] = self._apply(rows.sparse(columns=self.items))
        return out

    def _apply(self, signal: Tensor) -> Tensor:
        """``signal @ W`` (``[n, N]``), one block of ``W``'s columns at a time.

        Sparse rows @ dense ``W`` costs the users' ratings × N, not users × N², but each rating streams a row of
        ``W`` from memory: with ``W`` cut into :data:`COLUMN_BLOCK`-wide blocks, each block stays in the cache
        while every user of the chunk reads it (2-3x faster at 10,000 movies, BENCHMARKS.md "Scoring").
        """
        if self._blocks is None:
            self._blocks = [self.weight[:, c : c + COLUMN_BLOCK].contiguous()
                            for c in range(0, self.weight.shape[1], COLUMN_BLOCK)]
        if signal.layout != torch.sparse_csr:
            with csr_tensors():
                signal = signal.to_sparse_csr()
        out = torch.empty(signal.size(0), self.weight.shape[1])
        column = 0
        for block in self._blocks:
            out[:, column : column + block.shape[1]] = signal @ block
            column += block.shape[1]
        return out

    def state(self) -> dict[str, Any]:
        """Items and the operator, stored sparse (CSR: a pruned EASE ``B`` keeps 1,000 entries a column)."""
        with csr_tensors():
            csr = self.weight.to_sparse_csr()
        return {"kind": self.kind, "items": self.items, "size": list(self.weight.shape),
                "crow": csr.crow_indices(), "col": csr.col_indices().int(), "values": csr.values()}

    @classmethod
    def from_state(cls, state: dict[str, Any], history: History) -> ItemItemScorer:
        with csr_tensors():
            weight = torch.sparse_csr_tensor(state["crow"], state["col"].long(), state["values"].float(),
                                             tuple(state["size"]), check_invariants=False).to_dense()
        return cls(history, state["items"].long(), weight, state["kind"])


@dataclass
class GraphFilterScorer:
    """GF-CF: ``score(u) = h_u R̃ᵀR̃ + alpha · (h_u D^-β V) (Vᵀ D^β)``, a linear and an ideal low-pass filter.

    ``R̃ = D_u^-β R D_i^-β / s`` is the normalised user × movie graph (``R`` the history, ``D`` its row and
    column sums, ``s`` its largest singular value) and ``V`` its top right singular vectors.

    Args:
        history (History): The users' training signal (also the graph ``R``).
        user_norm (torch.Tensor): ``[U]`` ``D_u^-β / sqrt(s)``.
        movie_norm (torch.Tensor): ``[M]`` ``D_i^-β / sqrt(s)``.
        movie_inv (torch.Tensor): ``[M]`` ``D_i^-β``, 0 for movies without ratings.
        movie_fwd (torch.Tensor): ``[M]`` ``D_i^β``, 0 for movies without ratings.
        basis (torch.Tensor): ``[M, k]`` ``V``.
        alpha (float): Weight of the ideal low-pass part.
    """

    history: History
    user_norm: Tensor
    movie_norm: Tensor
    movie_inv: Tensor
    movie_fwd: Tensor
    basis: Tensor
    alpha: float
    kind: str = "graph_filter"
    _graph: Tensor | None = field(default=None, init=False, repr=False)

    def graph(self) -> Tensor:
        """``R̃`` as a sparse CSR tensor ``[U, M]``, built once (every chunk of users multiplies by it)."""
        if self._graph is None:
            self._graph = self._build_graph()
        return self._graph

    def _build_graph(self) -> Tensor:
        h = self.history
        rows = torch.repeat_interleave(torch.arange(h.num_users), h.indptr[1:] - h.indptr[:-1])
        values = h.values * self.user_norm[rows] * self.movie_norm[h.indices]
        with csr_tensors():
            return torch.sparse_csr_tensor(h.indptr, h.indices, values, (h.num_users, h.num_movies),
                                           check_invariants=False)

    def scores(self, user_index: Tensor) -> Tensor:
        return self._apply(self.history.dense(user_index.long()))

    def fold_in(self, rows: History) -> Tensor:
        """``[n, M]`` scores of the ``n`` rows of another history (users scored from their current ratings)."""
        return self._apply(rows.dense(torch.arange(rows.num_users)))

    def _apply(self, signal: Tensor) -> Tensor:
        graph = self.graph()
        via_users = (graph @ signal.T).T  # [n, U]: h_u R̃ᵀ
        linear = _right_mul(via_users, graph)  # [n, M]: h_u R̃ᵀR̃
        low_pass = ((signal * self.movie_inv) @ self.basis) @ (self.basis.T * self.movie_fwd)
        return linear + self.alpha * low_pass

    def state(self) -> dict[str, Any]:
        return {"kind": self.kind, "user_norm": self.user_norm, "movie_norm": self.movie_norm,
                "movie_inv": self.movie_inv, "movie_fwd": self.movie_fwd, "basis": self.basis,
                "alpha": float(self.alpha)}


def _right_mul(dense: Tensor, sparse: Tensor) -> Tensor:
    """``dense @ sparse`` for a CSR ``sparse``, as ``(sparseᵀ @ denseᵀ)ᵀ`` (torch multiplies sparse on the left)."""
    return torch.sparse.mm(sparse.to_sparse_coo().t(), dense.T).T


Scorer = LinearScorer | ItemItemScorer | GraphFilterScorer


def scorer_state(scorer: Scorer) -> dict[str, Any]:
    """The state of any scorer, tagged with its kind (``LinearScorer`` states are tagged ``"linear"``)."""
    state = scorer.state()
    state.setdefault("kind", "linear")
    return state


def scorer_from_state(state: dict[str, Any], history: History | None) -> Scorer:
    """Rebuild a scorer from :func:`scorer_state`; history-based kinds need the run's training ``history``.

    Raises:
        ValueError: An unknown kind, or no history for a kind that needs one.
    """
    kind = state.get("kind", "linear")
    if kind == "linear":
        return LinearScorer.from_state(state)
    if history is None:
        raise ValueError(f"a {kind} scorer needs the run's training history (split.pt)")
    if kind == "item_item":
        return ItemItemScorer.from_state(state, history)
    if kind == "graph_filter":
        return GraphFilterScorer(history, state["user_norm"], state["movie_norm"], state["movie_inv"],
                                 state["movie_fwd"], state["basis"], float(state["alpha"]))
    raise ValueError(f"unknown scorer kind {kind!r}")
