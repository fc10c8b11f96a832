"""LightGCN (He et al., SIGIR 2020) ranking movies, trained with a softmax over the movies.

PyG's :class:`~torch_geometric.nn.LightGCN` propagates id embeddings over the bipartite user–movie graph of the
training ratings (users are nodes ``0..U-1``, movies ``U..U+M-1``), the edges weighted by their stars and normalised
symmetrically. A user's score for a movie is the cosine of their final embeddings over a temperature τ plus a learned
movie bias: ``cos(e_u, e_m) / τ + b_m``.

Training is a softmax over the movies, not BPR: for a batch of users, every movie is a candidate at once.

- **targets**: every training rating is a positive, weight 1 at 4 stars or more and ``low_rating_weight`` below
  (a 2-star rating still says the user chose to watch it); the loss is normalised per rating, so users with many
  ratings count more;
- **full softmax** where the batch × movies logits fit (:data:`FULL_SOFTMAX_MAX_MOVIES`), else a **sampled
  softmax**: ``negatives`` movies drawn by popularity per step, shared by the batch, with the logQ correction
  (``s - log(S q)``) and each positive's accidental hits masked;
- user mini-batches (``batch_size`` users a step; ``0`` makes about :data:`STEPS_PER_EPOCH` steps), each step
  propagating over the full sparse graph (no sampler, no pyg-lib); the epoch with the best validation NDCG@k is
  kept (at most :data:`VALIDATION_USERS` validation users, sampled once).

A :class:`~movierec.gnn.models.rating_head.RatingHead` on the final embeddings gives the ratings. The embeddings
written back are the unit vectors, so the vector index's cosine is the model's own similarity.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.data import HeteroData
from torch_geometric.nn import LightGCN as PyGLightGCN
from torch_geometric.nn.conv.gcn_conv import gcn_norm
from torch_geometric.utils import to_torch_csr_tensor

from movierec.core.errors import TrainError
from movierec.core.quiet import csr_tensors
from movierec.gnn.data.hetero import MOVIE, USER
from movierec.gnn.data.split import EdgeSplit
from movierec.gnn.evaluation.metrics import ranking_metrics
from movierec.gnn.models.base import EpochCallback, Model, SavedRun, TrainResult, edges_of
from movierec.gnn.models.rating_head import RATING_HEAD_MAX_EDGES, RatingHead, fit_rating_head, sample_edges
from movierec.gnn.models.scorers import History, LinearScorer, Scorer
from movierec.gnn.training.config import TrainConfig
from movierec.gnn.training.early_stopping import EarlyStopping

logger = logging.getLogger(__name__)

FULL_SOFTMAX_MAX_MOVIES = 20_000  # above this many movies the softmax is sampled (``softmax="auto"``)
# ``batch_size=0``: users per step so that an epoch is about this many steps, at least 128 users (ml-latest-small:
# 128 users, 5 steps). Every step propagates over the whole graph: at 25M a step took 17 s on the 2-core machine,
# so 20 steps an epoch made it 334 s.
STEPS_PER_EPOCH = 5
VALIDATION_USERS = 5_000  # users whose validation NDCG picks the epoch (all of them on small graphs)


class LightGCNRanker(nn.Module):
    """PyG's LightGCN over the rating-weighted user–movie graph, scored by ``cos(e_u, e_m) / τ + b_m``.

    Args:
        num_users (int): Users.
        num_movies (int): Movies.
        hidden (int): Embedding size. (default: ``128``)
        layers (int): Propagation layers. (default: ``2``)

    Example:
        >>> model = LightGCNRanker(2, 3, hidden=4, layers=1)
        >>> graph = LightGCNRanker.graph(torch.tensor([[0, 1], [2, 0]]), 2, 3, torch.tensor([5.0, 3.0]))
        >>> eu, em = model.embeddings(graph)
        >>> eu.shape, round(float(em.norm(dim=1)[0]), 4)
        (torch.Size([2, 4]), 1.0)
    """

    def __init__(self, num_users: int, num_movies: int, hidden: int = 128, layers: int = 2) -> None:
        super().__init__()
        self.num_users = num_users
        self.num_movies = num_movies
        self.gcn = PyGLightGCN(num_users + num_movies, hidden, layers, normalize=False)
        nn.init.normal_(self.gcn.embedding.weight, std=0.1)
        self.movie_bias = nn.Parameter(torch.zeros(num_movies))

    @staticmethod
    def graph(edge_index: Tensor, num_users: int, num_movies: int, weight: Tensor | None = None) -> Tensor:
        """The symmetrically normalised adjacency ``D^-1/2 A D^-1/2`` as a torch sparse CSR matrix.

        Users are nodes ``0..U-1`` and movie ``m`` is node ``U + m``, edges in both directions, each weighted by
        ``weight`` (the stars; ``None``: 1). Normalising once here (the convolutions run with ``normalize=False``)
        and propagating with a sparse matrix product is about 5x faster on CPU than LightGCN's per-call
        ``gcn_norm`` + scatter over ``edge_index``, and needs no torch-sparse.
        """
        u, m = edge_index[0], edge_index[1] + num_users
        both = torch.stack([torch.cat([u, m]), torch.cat([m, u])])
        w = None if weight is None else torch.cat([weight, weight]).float()
        n = num_users + num_movies
        both, w = gcn_norm(both, w, n, add_self_loops=False)
        # PyG builds the CSR tensor without saying whether to check it: the indices come from gcn_norm, unchecked
        with csr_tensors(), torch.sparse.check_sparse_tensor_invariants(enable=False):
            return to_torch_csr_tensor(both.flip(0), w, size=(n, n))

    def embeddings(self, graph: Tensor) -> tuple[Tensor, Tensor]:
        """Final user and movie embeddings after propagation, L2-normalised (their dot is the cosine)."""
        out = F.normalize(self.gcn.get_embedding(graph), dim=-1)
        return out[:self.num_users], out[self.num_users:]

    def scorer(self, graph: Tensor, temperature: float) -> LinearScorer:
        """The ranking scorer ``e_u / τ · e_m + b_m`` (no user term: it would not change a user's ranking)."""
        eu, em = self.embeddings(graph)
        return LinearScorer(eu / temperature, em, torch.zeros(self.num_users, device=eu.device),
                            self.movie_bias.detach().clone(), 0.0)


class LightGCN(Model):
    """LightGCN with a softmax over the movies (full or sampled by size), early-stopped on validation NDCG@k."""

    name: ClassVar[str] = "lightgcn"
    summary: ClassVar[str] = "LightGCN trained with a softmax over the movies"
    # chosen on validation users (python -m bench.foldin --model lightgcn): validation NDCG@10 0.2321 without the
    # prior, 0.3010 at 0.3, 0.2955 at 1, 0.2876 at 3; the movie bias already carries popularity, so a smaller weight
    # than EASE's
    fold_in_prior: ClassVar[float] = 0.3
    # chosen on the validation edges of ml-latest-small (README, "The GNN ranker")
    defaults: ClassVar[dict[str, Any]] = {"hidden": 128, "layers": 2, "epochs": 200, "lr": 0.01, "weight_decay": 0.0,
                                          "dropout": 0.0, "patience": 25, "batch_size": 0, "ensemble": 1}

    def fit(self, data: HeteroData, split: EdgeSplit, device: torch.device,
            progress: EpochCallback | None = None) -> TrainResult:
        return train_lightgcn(data, split, self.config, device, progress)

    def rebuild(self, run: SavedRun) -> tuple[Scorer, LinearScorer]:
        edge_index, rating, split = run.split()
        num_users, num_movies = len(run.user_ids), len(run.movie_ids)
        weights = run.weights()
        if "movie_bias" not in weights["lightgcn"]:
            raise ValueError("it was trained by an older lightgcn (BPR, before the softmax and the movie bias); it "
                             "still serves as saved, and `movierec train --model lightgcn` trains one this version "
                             "rebuilds")
        model = LightGCNRanker(num_users, num_movies, self.config.hidden, self.config.layers)
        model.load_state_dict(weights["lightgcn"])
        model.eval()
        with torch.no_grad():
            graph = LightGCNRanker.graph(edge_index[:, split.train], num_users, num_movies, rating[split.train])
            rank = model.scorer(graph, self.config.temperature)
            eu, em = model.embeddings(graph)
        head = RatingHead(num_users, num_movies, self.config.hidden, float(run.extra["mean"]))
        head.load_state_dict(weights["rating_head"])
        return rank, head.scorer(eu, em)

    def fold_in(self, rank: Scorer, rows: History) -> Tensor:
        """A new user is the normalised, rating-weighted mean of their movies' unit vectors, over τ: a trained
        user's vector after one propagation step, on the trained users' scale."""
        assert isinstance(rank, LinearScorer)
        weight = rows.row_sums().clamp(min=1e-12)
        user = torch.sparse.mm(rows.sparse().to_sparse_coo(), rank.movie) / weight.unsqueeze(1)
        user = F.normalize(user, dim=-1) / self.config.temperature
        return user @ rank.movie.T + rank.movie_bias


def softmax_path(config: TrainConfig, num_movies: int) -> str:
    """``"full"`` or ``"sampled"``: ``config.softmax``, or for ``"auto"`` full up to :data:`FULL_SOFTMAX_MAX_MOVIES`.

    Raises:
        TrainError: An unknown ``softmax``.
    """
    if config.softmax == "auto":
        return "full" if num_movies <= FULL_SOFTMAX_MAX_MOVIES else "sampled"
    if config.softmax not in ("full", "sampled"):
        raise TrainError(f"unknown softmax {config.softmax!r} (use auto, full or sampled)")
    return config.softmax


def train_lightgcn(data: HeteroData, split: EdgeSplit, config: TrainConfig, device: torch.device,
                   progress: EpochCallback | None = None) -> TrainResult:
    """Train :class:`LightGCNRanker` with a softmax over the movies, then fit a :class:`RatingHead`.

    Raises:
        TrainError: An unknown ``softmax``.
    """
    train_ei, train_r = edges_of(data, split.train, device)
    val_ei, val_r = edges_of(data, split.val, device)
    num_users, num_movies = data[USER].num_nodes, data[MOVIE].num_nodes
    path = softmax_path(config, num_movies)
    generator = torch.Generator().manual_seed(config.seed)
    model = LightGCNRanker(num_users, num_movies, config.hidden, config.layers).to(device)
    graph = LightGCNRanker.graph(train_ei, num_users, num_movies, train_r)
    targets = _Targets(train_ei, train_r, config.low_rating_weight)
    popularity = torch.bincount(train_ei[1], minlength=num_movies).float()
    sample_q = (popularity + 1) / (popularity + 1).sum()  # negatives by popularity, every movie possible
    val_ei, val_r = _validation_sample(val_ei, val_r, generator)
    batch = config.batch_size or max(128, math.ceil(num_users / STEPS_PER_EPOCH))
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    history: list[dict[str, Any]] = []
    stopper = EarlyStopping(model, config.patience, lower_is_better=False)
    k = config.k
    for epoch in range(1, config.epochs + 1):
        start = time.perf_counter()
        model.train()
        users = torch.randperm(num_users, generator=generator).to(device)
        total, steps = 0.0, 0
        for b in range(0, num_users, batch):
            chosen = users[b:b + batch].sort().values
            rows, movies, weight = targets.of(chosen)
            if len(rows) == 0:
                continue
            eu, em = model.embeddings(graph)
            zu = eu[chosen]
            if path == "full":
                logits = zu @ em.T / config.temperature + model.movie_bias
                log_p = logits[rows, movies] - torch.logsumexp(logits, dim=1)[rows]
            else:
                log_p = _sampled_log_p(zu, em, model.movie_bias, rows, movies, sample_q, config, generator)
            loss = -(log_p * weight).sum() / weight.sum()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item()
            steps += 1
        model.eval()
        with torch.no_grad():
            scorer = model.scorer(graph, config.temperature)
        val = (ranking_metrics(scorer.scores, train_ei, val_ei, val_r, num_movies, k=k) if val_r.numel()
               else {f"ndcg@{k}": -total, f"recall@{k}": 0.0})
        row = {"member": 0, "epoch": epoch, "loss": total / max(steps, 1), f"val_recall@{k}": val[f"recall@{k}"],
               f"val_ndcg@{k}": val[f"ndcg@{k}"], "seconds": time.perf_counter() - start}
        history.append(row)
        logger.info("lightgcn epoch %s (%s softmax, %s users a step): loss %.4f, validation NDCG@%s %.4f, %.1f s",
                    epoch, path, batch, row["loss"], k, row[f"val_ndcg@{k}"], row["seconds"])
        if progress is not None:
            progress(row)
        if stopper.step(val[f"ndcg@{k}"]):
            break
    best_state = stopper.restore()
    model.eval()
    with torch.no_grad():
        rank = model.scorer(graph, config.temperature)
        eu, em = model.embeddings(graph)
    # the head is full-batch: on at most RATING_HEAD_MAX_EDGES sampled ratings (at 25M, all 20M training ratings
    # took 21 GiB), its biases started from all of them, as the closed-form models' head
    all_val_ei, all_val_r = edges_of(data, split.val, device)
    fit_ei, fit_r = sample_edges(train_ei, train_r, RATING_HEAD_MAX_EDGES, generator)
    stop_ei, stop_r = sample_edges(all_val_ei, all_val_r, RATING_HEAD_MAX_EDGES // 4, generator)
    head = fit_rating_head(eu, em, fit_ei, fit_r, stop_ei, stop_r, config, start=(train_ei, train_r))
    return TrainResult(rank=rank.to("cpu"), rating=head.scorer(eu, em).to("cpu"),
                       rating_range=(float(train_r.min()), float(train_r.max())), history=history,
                       weights={"lightgcn": {k_: v.cpu() for k_, v in best_state.items()},
                                "rating_head": {k_: v.cpu() for k_, v in head.state_dict().items()}},
                       extra={"mean": float(train_r.mean()), "softmax": path, "batch_users": batch},
                       user_embedding=eu.cpu(), movie_embedding=em.cpu())


def _sampled_log_p(zu: Tensor, em: Tensor, bias: Tensor, rows: Tensor, movies: Tensor, q: Tensor,
                   config: TrainConfig, generator: torch.Generator) -> Tensor:
    """Each positive's log-probability under a sampled softmax: ``negatives`` movies drawn from ``q`` for the whole
    batch, logits ``s - log(S q)`` (the logQ correction), the positive's own draws (accidental hits) taken out.

    Memory is the batch × negatives logits plus one value per positive: the hits are removed from each user's
    log-sum-exp arithmetically, never as a positives × negatives mask.
    """
    negatives = torch.multinomial(q, config.negatives, replacement=True, generator=generator).to(zu.device)
    log_sq = torch.log(config.negatives * q.to(zu.device))  # [M]
    neg = zu @ em[negatives].T / config.temperature + bias[negatives] - log_sq[negatives]  # [B, S]
    user_lse = torch.logsumexp(neg, dim=1)[rows]
    pos = (zu[rows] * em[movies]).sum(-1) / config.temperature + bias[movies]
    hits = torch.bincount(negatives, minlength=len(q))[movies].float()  # times each positive was drawn
    # log(Σ_neg e^s - hits · e^(pos - log Sq)): the user's negatives without the positive's own draws
    share = (hits * torch.exp(pos - log_sq[movies] - user_lse)).clamp(max=1 - 1e-6)
    neg_lse = user_lse + torch.log1p(-share)
    return pos - torch.logaddexp(pos, neg_lse)


class _Targets:
    """The training ratings as softmax targets, sorted by user: weight 1 at 4 stars or more, ``low`` below."""

    def __init__(self, edge_index: Tensor, rating: Tensor, low: float) -> None:
        weight = torch.where(rating >= 4.0, torch.ones_like(rating), torch.full_like(rating, low)).float()
        keep = weight > 0
        order = torch.argsort(edge_index[0, keep], stable=True)
        self.user = edge_index[0, keep][order]
        self.movie = edge_index[1, keep][order]
        self.weight = weight[keep][order]

    def of(self, users: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """The targets of the sorted ``users`` as ``(row in users, movie, weight)``."""
        lo = torch.searchsorted(self.user, users)
        counts = torch.searchsorted(self.user, users, right=True) - lo
        rows = torch.repeat_interleave(torch.arange(len(users), device=users.device), counts)
        first = torch.repeat_interleave(lo - (counts.cumsum(0) - counts), counts)
        index = first + torch.arange(len(rows), device=users.device)
        return rows, self.movie[index], self.weight[index]


def _validation_sample(val_ei: Tensor, val_r: Tensor, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """The validation edges of at most :data:`VALIDATION_USERS` users (all of them on small graphs), seeded."""
    users = val_ei[0].unique()
    if len(users) <= VALIDATION_USERS:
        return val_ei, val_r
    pick = users[torch.randperm(len(users), generator=generator)[:VALIDATION_USERS].to(users.device)]
    keep = torch.isin(val_ei[0], pick)
    return val_ei[:, keep], val_r[keep]
