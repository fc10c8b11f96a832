"""The ItemKNN peer: cosine similarity of movies over co-ratings, the number of neighbours chosen on validation."""

from __future__ import annotations

from typing import ClassVar

import torch

from movierec.gnn.models.base import Peer, PeerEdges, PeerFit
from movierec.gnn.models.closed_form import Edges, gram, most_rated, validation_metrics
from movierec.gnn.models.ease import PEER_MAX_ITEMS, covered
from movierec.gnn.models.scorers import History, ItemItemScorer


def item_knn(history: History, max_items: int, neighbours: int) -> ItemItemScorer:
    """ItemKNN: cosine similarity of movies over co-ratings, each column's ``neighbours`` largest kept (0: all).

    ``score(u) = h_u S``: the similarities of the user's movies to each candidate, summed.
    """
    items = most_rated(history, max_items)
    g = gram(history, items)
    norm = g.diagonal().clamp(min=1e-12).sqrt()
    s = (g / norm[:, None] / norm[None, :]).float()
    s.diagonal().zero_()
    if 0 < neighbours < s.size(0):
        top = torch.topk(s, neighbours, dim=0).indices
        s = torch.zeros_like(s).scatter_(0, top, s.gather(0, top))
    return ItemItemScorer(history, items, s.contiguous())


def choose_item_knn(history: History, edges: Edges, max_items: int, k: int, seed: int,
                    grid: tuple[int, ...] = (20, 50, 100, 0)) -> tuple[int, ItemItemScorer]:
    """:func:`item_knn` with the number of neighbours chosen on the validation NDCG (0: all)."""
    best: tuple[int, float, ItemItemScorer] | None = None
    for neighbours in grid:
        scorer = item_knn(history, max_items, neighbours)
        ndcg = validation_metrics(scorer, history, edges, k, seed)[f"ndcg@{k}"]
        if best is None or ndcg > best[1]:
            best = (neighbours, ndcg, scorer)
    assert best is not None
    return best[0], best[2]


class ItemKNN(Peer):
    """ItemKNN on the binary graph."""

    name: ClassVar[str] = "itemknn"

    def fit(self, edges: PeerEdges, k: int, seed: int) -> PeerFit:
        binary = History.from_edges(edges.train_ei, edges.train_r, edges.num_users, edges.num_movies, "binary")
        neighbours, knn = choose_item_knn(binary, (edges.train_ei, edges.val_ei, edges.val_r), PEER_MAX_ITEMS, k,
                                          seed)
        return PeerFit(knn, None, f"cosine over co-ratings, {neighbours or 'all'} neighbours on validation"
                                  f"{covered(knn.items, edges)}")
