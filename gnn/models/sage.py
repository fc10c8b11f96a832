"""``sage``: a heterogeneous GraphSAGE rating regressor (GC-MC style, one relation per rating level).

Trained full-graph (or on sampled neighbourhoods with ``--minibatch``, :mod:`movierec.gnn.data.sampler`) with MSE
on the training ratings; an ensemble of ``ensemble`` seeds is averaged. Its scorer ranks and rates alike.
"""

from __future__ import annotations

import logging
import time
from typing import Any, ClassVar

import torch
from torch import Tensor, nn
from torch_geometric.data import HeteroData
from torch_geometric.nn import SAGEConv, to_hetero

from movierec.core.errors import TrainError
from movierec.gnn.data.hetero import MOVIE, RATES, REV_RATES, USER, rating_levels, typed_edge_index
from movierec.gnn.data.split import EdgeSplit
from movierec.gnn.evaluation.metrics import rating_metrics
from movierec.gnn.models.base import EpochCallback, Model, SavedRun, TrainResult, edges_of
from movierec.gnn.models.scorers import LinearScorer, Scorer
from movierec.gnn.training.config import TrainConfig
from movierec.gnn.training.early_stopping import EarlyStopping

logger = logging.getLogger(__name__)


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


class Sage(Model):
    """The GraphSAGE rating regressor, an ensemble of ``ensemble`` seeds."""

    name: ClassVar[str] = "sage"
    summary: ClassVar[str] = "GraphSAGE rating regression"
    loaders: ClassVar[tuple[str, ...]] = ("memory", "neo4j")

    @classmethod
    def epochs_in_total(cls, config: TrainConfig) -> int:
        return config.epochs * config.ensemble  # each member trains its own epochs

    def fit(self, data: HeteroData, split: EdgeSplit, device: torch.device,
            progress: EpochCallback | None = None) -> TrainResult:
        return train_sage(data, split, self.config, device, progress)

    def rebuild(self, run: SavedRun) -> tuple[Scorer, LinearScorer]:
        config = self.config
        edge_index, rating, split = run.split()
        user_x, movie_x = run.features()
        levels = [int(v) for v in run.extra["levels"]]
        graph = typed_edge_index(edge_index[:, split.train], rating[split.train], levels)
        weights = run.weights()
        scorers = []
        for member in range(config.ensemble):
            sage = SageRating(len(run.user_ids), len(run.movie_ids), user_x.size(1) if user_x is not None else 0,
                              movie_x.size(1) if movie_x is not None else 0, levels, float(run.extra["mean"]),
                              hidden=config.hidden, layers=config.layers, dropout=config.dropout)
            sage.load_state_dict(weights[f"sage_{member}"])
            sage.eval()
            scorers.append(sage.scorer(user_x, movie_x, graph))
        scorer = LinearScorer.average(scorers)
        return scorer, scorer


def train_sage(data: HeteroData, split: EdgeSplit, config: TrainConfig, device: torch.device,
               progress: EpochCallback | None = None) -> TrainResult:
    """Train ``config.ensemble`` :class:`SageRating` models (seeds ``seed``, ``seed+1``, ...) and average them.

    Full-graph: each epoch, a random ``target_share`` of the training edges are the targets and
    are left out of that epoch's message graph; the rest carry messages. Validation predictions
    use all training edges as messages. With ``config.minibatch`` the epoch is split into
    batches of target edges whose sampled neighbourhoods (:mod:`movierec.gnn.data.sampler`) are encoded
    instead of the full graph.
    """
    train_ei, train_r = edges_of(data, split.train, device)
    val_ei, val_r = edges_of(data, split.val, device)
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
        sampler: Any = None
        if config.minibatch and config.loader == "neo4j":
            sampler = _remote_loader(data, split, config)
        elif config.minibatch:
            from movierec.gnn.data.sampler import NeighborSampler

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
            elif config.loader == "neo4j":
                epoch_loss = _sage_loader_epoch(model, optimizer, sampler, split.train, levels, device, progress)
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


def _remote_loader(data: HeteroData, split: EdgeSplit, config: TrainConfig) -> Any:
    """PyG's ``LinkLoader`` over the Neo4j stores that ``data`` came from (``data.remote``,
    :func:`movierec.gnn.data.remote.stores_graph`): the training edges are the targets, with their ratings as labels,
    and the only message edges (validation and test ratings never carry messages)."""
    from torch_geometric.loader import LinkLoader

    from movierec.gnn.data.remote import Neo4jNeighborSampler

    stores = getattr(data, "remote", None)
    if stores is None:
        raise TrainError("--loader neo4j trains from the Neo4j stores: build the graph with stores_graph()")
    fs, gs = stores
    train = torch.zeros(data[RATES].edge_index.size(1), dtype=torch.bool)
    train[split.train] = True
    sampler = Neo4jNeighborSampler(gs, config.num_neighbors, message_edges={RATES: train, REV_RATES: train})
    return LinkLoader((fs, gs), link_sampler=sampler, edge_label_index=(RATES, data[RATES].edge_index[:, split.train]),
                      edge_label=data[RATES].edge_label[split.train], batch_size=config.batch_size, shuffle=True)


def _sage_loader_epoch(model: SageRating, optimizer: torch.optim.Optimizer, loader: Any, train_ids: Tensor,
                       levels: list[int], device: torch.device, progress: EpochCallback | None = None) -> float:
    """One epoch over PyG ``LinkLoader`` batches from the Neo4j stores: each batch's message edges (both directions,
    the batch's own targets left out, as the in-memory sampler does) typed by rating level, its movies' features as
    the feature store fetched them."""
    fs = loader.data[0]
    total, count = 0.0, 0
    batches = len(loader)
    for step, batch in enumerate(loader, 1):
        targets = train_ids[batch[RATES].input_id]
        forward, backward = batch[RATES], batch[REV_RATES]
        e_id = torch.cat([forward.e_id, backward.e_id])
        pairs = torch.cat([forward.edge_index, backward.edge_index.flip(0)], dim=1)
        e_id, first = _first_of_each(e_id)
        keep = ~torch.isin(e_id, targets)
        e_id, pairs = e_id[keep], pairs[:, first[keep]]
        typed = typed_edge_index(pairs.to(device), fs[RATES, "edge_label", e_id].to(device), levels)
        users, movies = batch[USER].n_id.to(device), batch[MOVIE].n_id.to(device)
        hu, hm = model.encode(users, movies, None, batch[MOVIE].x.to(device), typed)
        pu, pm = model.project(hu, hm)
        tu, tm = batch[RATES].edge_label_index.to(device)
        pred = model.decode(pu[tu], pm[tm], users[tu], movies[tm])
        loss = torch.nn.functional.mse_loss(pred, batch[RATES].edge_label.to(device))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * tu.numel()
        count += tu.numel()
        if progress is not None and step < batches:
            progress({"batch": step, "batches": batches, "loss": total / count})
    return total / max(count, 1)


def _first_of_each(ids: Tensor) -> tuple[Tensor, Tensor]:
    """The distinct values of ``ids`` and the position of each one's first occurrence."""
    unique, inverse = torch.unique(ids, return_inverse=True)
    first = torch.full((unique.numel(),), ids.numel(), dtype=torch.long)
    first.scatter_reduce_(0, inverse, torch.arange(ids.numel()), reduce="amin")
    return unique, first
