"""Training loops: full-graph (or mini-batch) ``sage`` rating regression and ``lightgcn`` BPR ranking.

Both take the exported graph, the split and a :class:`~movierec.gnn.config.TrainConfig` as arguments and
return a :class:`TrainResult`: the weights, per-epoch history and the two
:class:`~movierec.gnn.model.LinearScorer` s (ranking, rating) a run directory needs to score without
the graph. Messages flow only over the training edges; validation edges pick the epoch
(early stopping), test edges are never touched here.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor
from torch_geometric.data import HeteroData

from movierec.core.errors import TrainError
from movierec.gnn.config import MODELS, TrainConfig
from movierec.gnn.early_stopping import EarlyStopping
from movierec.gnn.hetero import MOVIE, RATES, USER
from movierec.gnn.metrics import ranking_metrics, rating_metrics
from movierec.gnn.model import LightGCNRanker, LinearScorer, RatingHead, SageRating, rating_levels, typed_edge_index
from movierec.gnn.scorers import Scorer
from movierec.gnn.split import EdgeSplit

logger = logging.getLogger(__name__)

RATING_HEAD_MAX_EDGES = 2_000_000  # the closed-form models' rating head fits on at most this many ratings

EpochCallback = Callable[[dict[str, Any]], None]


@dataclass
class TrainResult:
    """What a training run produced.

    Args:
        rank (Scorer): Ranking scores (higher = better): a :class:`LinearScorer`, or a history-based
            scorer of :mod:`movierec.gnn.scorers` for the closed-form models.
        rating (LinearScorer): Predicted ratings (clamp to ``rating_range``).
        rating_range (tuple[float, float]): Lowest and highest training rating.
        history (list[dict]): One row per epoch (``member``, ``epoch``, ``loss``, validation metrics, ``seconds``).
        weights (dict): ``state_dict`` s of the trained modules, by name.
        extra (dict): Model facts needed to rebuild it (e.g. rating levels).
        user_embedding (torch.Tensor, optional): ``[U, d]`` embeddings written back (default: ``rank.user``).
        movie_embedding (torch.Tensor, optional): ``[M, d]`` (default: ``rank.movie``).
    """

    rank: Scorer
    rating: LinearScorer
    rating_range: tuple[float, float]
    history: list[dict[str, Any]] = field(default_factory=list)
    weights: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    user_embedding: Tensor | None = None
    movie_embedding: Tensor | None = None

    def embeddings(self) -> tuple[Tensor, Tensor]:
        """The user and movie embeddings written back to Neo4j (float32, CPU)."""
        if self.user_embedding is not None and self.movie_embedding is not None:
            return self.user_embedding.float().cpu(), self.movie_embedding.float().cpu()
        assert isinstance(self.rank, LinearScorer)
        return self.rank.user.float().cpu(), self.rank.movie.float().cpu()

    @property
    def seconds_per_epoch(self) -> float:
        times = [row["seconds"] for row in self.history]
        return sum(times) / len(times) if times else 0.0


def resolve_device(name: str) -> torch.device:
    """``"auto"`` → CUDA when available, else CPU; ``"cuda"`` without a GPU is an error.

    Raises:
        TrainError: ``"cuda"`` was asked for and no CUDA device is available, or the name is unknown.
    """
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise TrainError(f"--device {name} asked for, but no CUDA device is available here "
                             "(use --device cpu or auto)")
        return torch.device(name)
    raise TrainError(f"unknown device {name!r} (use auto, cpu or cuda)")


def train(data: HeteroData, split: EdgeSplit, config: TrainConfig,
          progress: EpochCallback | None = None) -> TrainResult:
    """Train ``config.model`` on the training edges of ``split``.

    Args:
        data (HeteroData): The exported graph (all ratings; the split decides what the model sees).
        split (EdgeSplit): Train / validation / test edges.
        config (TrainConfig): Hyper-parameters.
        progress (Callable[[dict], None], optional): Called after every epoch with its history row;
            with ``sage --minibatch`` also after every step, with ``{"batch", "batches", "loss"}``
            (the epoch's mean loss so far).

    Returns:
        TrainResult: Scorers, weights and history.

    Raises:
        TrainError: Unknown model, unavailable device or a graph without training edges.
    """
    device = resolve_device(config.device)
    if len(split.train) == 0:
        raise TrainError("no training ratings")
    torch.manual_seed(config.seed)
    if config.model == "sage":
        return train_sage(data, split, config, device, progress)
    if config.model == "lightgcn":
        return train_lightgcn(data, split, config, device, progress)
    if config.model in ("ease", "gfcf"):
        return _train_closed_form(data, split, config, progress)
    raise TrainError(f"unknown model {config.model!r} (known: {', '.join(MODELS)})")


def _train_closed_form(data: HeteroData, split: EdgeSplit, config: TrainConfig,
                       progress: EpochCallback | None = None) -> TrainResult:
    """Fit EASE or GF-CF (:mod:`movierec.gnn.closed_form`, on CPU), then a rating head on its embeddings."""
    from movierec.gnn.closed_form import train_closed_form

    fitted = train_closed_form(data, split, config)
    for row in fitted["history"]:
        if progress is not None:
            progress(row)
    train_ei, train_r = _edges(data, split.train, torch.device("cpu"))
    val_ei, val_r = _edges(data, split.val, torch.device("cpu"))
    eu, em = fitted["user_embedding"], fitted["movie_embedding"]
    # The head is full-batch: past RATING_HEAD_MAX_EDGES training (and validation) ratings it fits on a
    # seeded sample of them (memory is edges x hidden floats per step), its biases start from all of them.
    generator = torch.Generator().manual_seed(config.seed)
    fit_ei, fit_r = _sample(train_ei, train_r, RATING_HEAD_MAX_EDGES, generator)
    stop_ei, stop_r = _sample(val_ei, val_r, RATING_HEAD_MAX_EDGES // 4, generator)
    head = fit_rating_head(eu, em, fit_ei, fit_r, stop_ei, stop_r, config, start=(train_ei, train_r))
    weights = {**fitted["weights"], "rating_head": {k: v.cpu() for k, v in head.state_dict().items()},
               "embeddings": {"user": eu, "movie": em}}
    return TrainResult(rank=fitted["rank"], rating=head.scorer(eu, em), rating_range=(float(train_r.min()),
                       float(train_r.max())), history=fitted["history"], weights=weights,
                       extra={**fitted["extra"], "mean": float(train_r.mean())}, user_embedding=eu,
                       movie_embedding=em)


def _sample(edge_index: Tensor, rating: Tensor, most: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """At most ``most`` of the edges, a seeded random sample (all of them when there are fewer)."""
    if edge_index.size(1) <= most:
        return edge_index, rating
    keep = torch.randperm(edge_index.size(1), generator=generator)[:most].sort().values
    return edge_index[:, keep], rating[keep]


def _edges(data: HeteroData, index: Tensor, device: torch.device) -> tuple[Tensor, Tensor]:
    return data[RATES].edge_index[:, index].to(device), data[RATES].edge_label[index].to(device)


def train_sage(data: HeteroData, split: EdgeSplit, config: TrainConfig, device: torch.device,
               progress: EpochCallback | None = None) -> TrainResult:
    """Train ``config.ensemble`` :class:`SageRating` models (seeds ``seed``, ``seed+1``, ...) and average them.

    Full-graph: each epoch, a random ``target_share`` of the training edges are the targets and
    are left out of that epoch's message graph; the rest carry messages. Validation predictions
    use all training edges as messages. With ``config.minibatch`` the epoch is split into
    batches of target edges whose sampled neighbourhoods (:mod:`movierec.gnn.sampler`) are encoded
    instead of the full graph.
    """
    train_ei, train_r = _edges(data, split.train, device)
    val_ei, val_r = _edges(data, split.val, device)
    lo, hi = float(train_r.min()), float(train_r.max())
    levels = rating_levels(train_r.cpu())
    mean = float(train_r.mean())
    num_users, num_movies = data[USER].num_nodes, data[MOVIE].num_nodes
    user_x = data[USER].x.to(device) if "x" in data[USER] else None
    movie_x = data[MOVIE].x.to(device) if "x" in data[MOVIE] else None
    full_graph = typed_edge_index(train_ei, train_r, levels)
    all_users = torch.arange(num_users, device=device)
    all_movies = torch.arange(num_movies, device=device)
    history: list[dict[str, Any]] = []
    scorers: list[LinearScorer] = []
    weights: dict[str, Any] = {}
    for member in range(config.ensemble):
        seed = config.seed + member
        torch.manual_seed(seed)
        generator = torch.Generator().manual_seed(seed)
        model = SageRating(num_users, num_movies, user_x.size(1) if user_x is not None else 0,
                           movie_x.size(1) if movie_x is not None else 0, levels, mean,
                           hidden=config.hidden, layers=config.layers, dropout=config.dropout).to(device)
        optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
        sampler = None
        if config.minibatch:
            from movierec.gnn.sampler import NeighborSampler

            sampler = NeighborSampler(train_ei, train_r, num_users, num_movies, config.num_neighbors, levels)
        stopper = EarlyStopping(model, config.patience, lower_is_better=True)
        for epoch in range(1, config.epochs + 1):
            start = time.perf_counter()
            model.train()
            perm = torch.randperm(train_ei.size(1), generator=generator).to(device)
            if sampler is None:
                n_targets = max(1, int(config.target_share * len(perm)))
                target, message = perm[:n_targets], perm[n_targets:]
                graph = typed_edge_index(train_ei[:, message], train_r[message], levels)
                hu, hm = model.encode(all_users, all_movies, user_x, movie_x, graph)
                pu, pm = model.project(hu, hm)
                tu, tm = train_ei[:, target]
                pred = model.decode(pu[tu], pm[tm], tu, tm)
                loss = torch.nn.functional.mse_loss(pred, train_r[target])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                epoch_loss = loss.item()
            else:
                epoch_loss = _sage_minibatch_epoch(model, optimizer, sampler, perm, train_ei, train_r, user_x,
                                                   movie_x, config, generator, progress)
            model.eval()
            scorer = model.scorer(user_x, movie_x, full_graph)
            val_rmse = (rating_metrics(scorer.pairs(*val_ei).clamp(lo, hi), val_r)["rmse"]
                        if val_r.numel() else epoch_loss)
            row = {"member": member, "epoch": epoch, "loss": epoch_loss, "val_rmse": val_rmse,
                   "seconds": time.perf_counter() - start}
            history.append(row)
            if progress is not None:
                progress(row)
            if stopper.step(val_rmse):
                break
        best, best_state = stopper.best, stopper.restore()
        model.eval()
        scorers.append(model.scorer(user_x, movie_x, full_graph).to("cpu"))
        weights[f"sage_{member}"] = {k: v.cpu() for k, v in best_state.items()}
        logger.info("sage member %s: best validation RMSE %.4f", member, best)
    rating = LinearScorer.average(scorers)
    return TrainResult(rank=rating, rating=rating, rating_range=(lo, hi), history=history, weights=weights,
                       extra={"levels": levels, "mean": mean})


def _sage_minibatch_epoch(model: SageRating, optimizer: torch.optim.Optimizer, sampler: Any, perm: Tensor,
                          train_ei: Tensor, train_r: Tensor, user_x: Tensor | None, movie_x: Tensor | None,
                          config: TrainConfig, generator: torch.Generator,
                          progress: EpochCallback | None = None) -> float:
    """One epoch over batches of target edges, each encoded on its sampled neighbourhood."""
    total, count = 0.0, 0
    batches = -(-len(perm) // config.batch_size)
    for step, start in enumerate(range(0, len(perm), config.batch_size), 1):
        target = perm[start:start + config.batch_size]
        batch = sampler.sample(target, generator)
        ux = user_x[batch.user_nodes] if user_x is not None else None
        mx = movie_x[batch.movie_nodes] if movie_x is not None else None
        hu, hm = model.encode(batch.user_nodes, batch.movie_nodes, ux, mx, batch.edge_index_dict)
        pu, pm = model.project(hu, hm)
        pred = model.decode(pu[batch.target_user], pm[batch.target_movie], batch.user_nodes[batch.target_user],
                            batch.movie_nodes[batch.target_movie])
        loss = torch.nn.functional.mse_loss(pred, train_r[target])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(target)
        count += len(target)
        if progress is not None and step < batches:
            progress({"batch": step, "batches": batches, "loss": total / count})
    return total / max(count, 1)


def train_lightgcn(data: HeteroData, split: EdgeSplit, config: TrainConfig, device: torch.device,
                   progress: EpochCallback | None = None) -> TrainResult:
    """BPR-train :class:`LightGCNRanker` (early stopping on validation NDCG@k), then fit a :class:`RatingHead`.

    Mini-batches are batches of positive training edges with one uniform negative movie each;
    every step propagates over the full training graph (sparse, no sampler needed), so this
    path runs without pyg-lib or torch-sparse.
    """
    train_ei, train_r = _edges(data, split.train, device)
    val_ei, val_r = _edges(data, split.val, device)
    num_users, num_movies = data[USER].num_nodes, data[MOVIE].num_nodes
    lo, hi = float(train_r.min()), float(train_r.max())
    generator = torch.Generator().manual_seed(config.seed)
    model = LightGCNRanker(num_users, num_movies, config.hidden, config.layers).to(device)
    graph = LightGCNRanker.graph(train_ei, num_users, num_movies)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    history: list[dict[str, Any]] = []
    stopper = EarlyStopping(model, config.patience, lower_is_better=False)
    for epoch in range(1, config.epochs + 1):
        start = time.perf_counter()
        model.train()
        perm = torch.randperm(train_ei.size(1), generator=generator).to(device)
        total = 0.0
        for b in range(0, len(perm), config.batch_size):
            idx = perm[b:b + config.batch_size]
            users = train_ei[0, idx]
            pos = train_ei[1, idx] + num_users
            neg = torch.randint(num_movies, (len(idx),), generator=generator).to(device) + num_users
            emb = model.gcn.get_embedding(graph)
            pos_rank = (emb[users] * emb[pos]).sum(-1)
            neg_rank = (emb[users] * emb[neg]).sum(-1)
            node_id = torch.cat([users, pos, neg]).unique()
            loss = model.gcn.recommendation_loss(pos_rank, neg_rank, node_id=node_id, lambda_reg=config.weight_decay)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(idx)
        model.eval()
        with torch.no_grad():
            eu, em = model.embeddings(graph)
        if val_r.numel():
            val = ranking_metrics(_dot_scores(eu, em), train_ei, val_ei, val_r, num_movies, k=config.k)
        else:
            val = {f"ndcg@{config.k}": -total}
        row = {"member": 0, "epoch": epoch, "loss": total / len(perm),
               f"val_recall@{config.k}": val.get(f"recall@{config.k}", 0.0),
               f"val_ndcg@{config.k}": val[f"ndcg@{config.k}"], "seconds": time.perf_counter() - start}
        history.append(row)
        if progress is not None:
            progress(row)
        score = val[f"ndcg@{config.k}"]
        if stopper.step(score):
            break
    best_state = stopper.restore()
    model.eval()
    with torch.no_grad():
        eu, em = model.embeddings(graph)
    head = fit_rating_head(eu, em, train_ei, train_r, val_ei, val_r, config)
    rank = LinearScorer(eu.cpu(), em.cpu(), torch.zeros(num_users), torch.zeros(num_movies), 0.0)
    return TrainResult(rank=rank, rating=head.scorer(eu, em).to("cpu"), rating_range=(lo, hi), history=history,
                       weights={"lightgcn": {k: v.cpu() for k, v in best_state.items()},
                                "rating_head": {k: v.cpu() for k, v in head.state_dict().items()}},
                       extra={"mean": float(train_r.mean())})


def _dot_scores(eu: Tensor, em: Tensor) -> Callable[[Tensor], Tensor]:
    def score(users: Tensor) -> Tensor:
        return eu[users] @ em.T

    return score


def fit_rating_head(eu: Tensor, em: Tensor, train_ei: Tensor, train_r: Tensor, val_ei: Tensor, val_r: Tensor,
                    config: TrainConfig, reg: float = 0.05,
                    start: tuple[Tensor, Tensor] | None = None) -> RatingHead:
    """Fit ``mean + b_u + b_m + <e_u * w, e_m>`` on the training ratings (embeddings fixed), early-stopped on val.

    The biases start from :func:`movierec.gnn.baselines.bias` (closed form) and ``w`` from zero, so
    the head starts exactly at the bias baseline and only moves where validation RMSE improves.

    Args:
        eu (torch.Tensor): ``[U, d]`` fixed user embeddings.
        em (torch.Tensor): ``[M, d]`` fixed movie embeddings.
        train_ei (torch.Tensor): Training pairs.
        train_r (torch.Tensor): Training ratings.
        val_ei (torch.Tensor): Validation pairs.
        val_r (torch.Tensor): Validation ratings.
        config (TrainConfig): ``rating_head_epochs`` full-batch Adam steps.
        reg (float): L2 weight per rating on the biases used. (default: ``0.05``)
        start (tuple[Tensor, Tensor], optional): The edges the starting biases are fitted on. (default: the
            training edges)
    """
    from movierec.gnn.baselines import bias

    eu, em = eu.detach(), em.detach()
    lo, hi = float(train_r.min()), float(train_r.max())
    head = RatingHead(eu.size(0), em.size(0), eu.size(1), float(train_r.mean())).to(eu.device)
    # Start from the closed-form bias baseline, so the head is never worse than it on training data.
    start_ei, start_r = start if start is not None else (train_ei, train_r)
    initial = bias(start_ei.cpu(), start_r.cpu(), eu.size(0), em.size(0))
    with torch.no_grad():
        head.user_bias.copy_(initial.user_bias)
        head.movie_bias.copy_(initial.movie_bias)
    optimizer = torch.optim.Adam(head.parameters(), lr=0.01)
    u, m = train_ei
    stopper = EarlyStopping(head, patience=20, lower_is_better=True)
    for _ in range(config.rating_head_epochs):
        optimizer.zero_grad()
        pred = head(eu, em, u, m)
        loss = (pred - train_r).pow(2).mean() + reg * (head.user_bias[u].pow(2) + head.movie_bias[m].pow(2)).mean()
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            val = (rating_metrics(head(eu, em, *val_ei).clamp(lo, hi), val_r)["rmse"]
                   if val_r.numel() else float(loss))
        if stopper.step(val):
            break
    stopper.restore()
    logger.info("rating head: best validation RMSE %.4f", stopper.best)
    return head
