"""Train / validation / test splits of the rating edges, and the leak-free message graph.

A split is three sorted index tensors into ``data['user', 'rates', 'movie']``'s edges.
:func:`message_graph` keeps only the given edges (and their reverses): models pass messages
over the training edges alone, so a validation or test rating never reaches the
representations that predict it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import torch
from torch_geometric.data import HeteroData

from movierec.core.errors import IngestError, NotFoundError, TrainError
from movierec.gnn.data.hetero import MOVIE, RATES, REV_RATES, USER
from movierec.gnn.data.ids import positions
from movierec.ingest.movielens import LineError, read_ratings_file

logger = logging.getLogger(__name__)

SPLITS: tuple[str, ...] = ("random", "temporal", "file")


@dataclass(frozen=True)
class SplitConfig:
    """How ratings are divided into train, validation and test edges.

    Args:
        method (str): ``"random"`` (fractions of all ratings), ``"temporal"`` (per user, the
            latest ratings are held out) or ``"file"`` (the test pairs come from a ratings file;
            validation is a random share of the rest). (default: ``"random"``)
        val_fraction (float): Share of ratings for validation (per user for ``temporal``). (default: ``0.1``)
        test_fraction (float): Share of ratings for test (ignored for ``file``). (default: ``0.1``)
        seed (int): Seed of the random split. (default: ``0``)
        test_file (str, optional): Ratings file whose (user, movie) pairs are the test set. (default: ``None``)
    """

    method: Literal["random", "temporal", "file"] = "random"
    val_fraction: float = 0.1
    test_fraction: float = 0.1
    seed: int = 0
    test_file: str | None = None



@dataclass(frozen=True)
class EdgeSplit:
    """Indices (sorted, int64) into the rating edges of one graph.

    Args:
        train (torch.Tensor): Training edges: the message graph and the training targets.
        val (torch.Tensor): Validation edges (early stopping).
        test (torch.Tensor): Test edges (reported metrics).
    """

    train: torch.Tensor
    val: torch.Tensor
    test: torch.Tensor

    def sizes(self) -> dict[str, int]:
        return {"train": len(self.train), "val": len(self.val), "test": len(self.test)}


def split_edges(data: HeteroData, config: SplitConfig, test_pairs: torch.Tensor | None = None) -> EdgeSplit:
    """Split the rating edges of ``data``.

    Args:
        data (HeteroData): An exported graph.
        config (SplitConfig): The method and fractions.
        test_pairs (torch.Tensor, optional): ``[2, T]`` (userId, movieId) pairs forming the test set,
            required for ``method="file"``.

    Returns:
        EdgeSplit: The three edge sets, disjoint and covering every edge.

    Raises:
        TrainError: The fractions are invalid, the graph is too small, or no test pair is in the graph.
    """
    if not (0 <= config.val_fraction < 1 and 0 <= config.test_fraction < 1
            and config.val_fraction + config.test_fraction < 1):
        raise TrainError(f"split fractions val={config.val_fraction} test={config.test_fraction} must be in [0, 1) "
                         "and sum to less than 1")
    num_edges = data[RATES].num_edges
    generator = torch.Generator().manual_seed(config.seed)
    if config.method == "random":
        perm = torch.randperm(num_edges, generator=generator)
        n_test = round(num_edges * config.test_fraction)
        n_val = round(num_edges * config.val_fraction)
        split = EdgeSplit(train=perm[n_test + n_val:], val=perm[n_test:n_test + n_val], test=perm[:n_test])
    elif config.method == "temporal":
        split = _temporal(data, config)
    elif config.method == "file":
        if test_pairs is None:
            raise TrainError("split 'file' needs a test ratings file (--test-ratings FILE)")
        test = _pairs_to_edges(data, test_pairs)
        rest = torch.from_numpy(np.setdiff1d(np.arange(num_edges), test.numpy()))
        perm = rest[torch.randperm(len(rest), generator=generator)]
        n_val = round(len(rest) * config.val_fraction)
        split = EdgeSplit(train=perm[n_val:], val=perm[:n_val], test=test)
    else:
        raise TrainError(f"unknown split {config.method!r} (known: random, temporal, file)")
    split = EdgeSplit(*(t.sort().values for t in (split.train, split.val, split.test)))
    if len(split.train) == 0 or len(split.test) == 0:
        raise TrainError(f"the graph has too few ratings ({num_edges}) for a {config.method} split: {split.sizes()}")
    logger.info("split %s: %s", config.method, split.sizes())
    return split


def _temporal(data: HeteroData, config: SplitConfig) -> EdgeSplit:
    """Per user: the latest ``test_fraction`` of ratings are test, the ones before them validation.

    Users with fewer than 3 ratings keep all of theirs in training. Ties in time break by edge index.
    """
    user = data[RATES].edge_index[0].numpy()
    ts = data[RATES].time.numpy()
    order = np.lexsort((np.arange(len(user)), ts, user))  # by user, then time, then edge
    counts = np.bincount(user, minlength=data[USER].num_nodes)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    sorted_user = user[order]
    from_end = starts[sorted_user] + counts[sorted_user] - 1 - np.arange(len(order))  # 0 = latest
    n = counts[sorted_user]
    n_test = np.where(n >= 3, np.maximum(1, np.round(n * config.test_fraction)), 0)
    n_val = np.where(n >= 3, np.round(n * config.val_fraction), 0)
    is_test = from_end < n_test
    is_val = ~is_test & (from_end < n_test + n_val)
    return EdgeSplit(
        train=torch.from_numpy(order[~is_test & ~is_val]),
        val=torch.from_numpy(order[is_val]),
        test=torch.from_numpy(order[is_test]),
    )


def _pairs_to_edges(data: HeteroData, pairs: torch.Tensor) -> torch.Tensor:
    """Edge indices of the (userId, movieId) pairs that are in ``data``; pairs outside it are skipped."""
    num_movies = data[MOVIE].num_nodes
    p_user = pairs[0].numpy()
    ui, user_known = positions(data[USER].node_id.numpy(), p_user)
    mi, movie_known = positions(data[MOVIE].node_id.numpy(), pairs[1].numpy())
    known = user_known & movie_known
    keys = ui[known] * num_movies + mi[known]
    edge_index = data[RATES].edge_index.numpy()
    edge_keys = edge_index[0] * num_movies + edge_index[1]  # sorted: edges are ordered by (user, movie)
    pos = np.searchsorted(edge_keys, keys).clip(max=len(edge_keys) - 1)
    found = edge_keys[pos] == keys
    edges = np.unique(pos[found])
    skipped = len(p_user) - len(edges)
    if len(edges) == 0:
        raise TrainError(f"none of the {len(p_user)} test pairs is a rating in the exported graph")
    if skipped:
        logger.warning("%s test pairs are not ratings in the exported graph and were skipped", skipped)
    return torch.from_numpy(edges)


def message_graph(data: HeteroData, edges: torch.Tensor) -> HeteroData:
    """A copy of ``data`` whose rating edges (and reverses) are only ``edges``.

    Args:
        data (HeteroData): An exported graph.
        edges (torch.Tensor): Edge indices to keep (typically ``split.train``).

    Returns:
        HeteroData: Same nodes and features; ``edge_index``, ``edge_label`` and ``time`` restricted.
    """
    out = HeteroData()
    for node_type in (USER, MOVIE):
        for key, value in data[node_type].items():
            out[node_type][key] = value
    out.genres = data.genres
    out[RATES].edge_index = data[RATES].edge_index[:, edges]
    out[RATES].edge_label = data[RATES].edge_label[edges]
    out[RATES].time = data[RATES].time[edges]
    out[REV_RATES].edge_index = out[RATES].edge_index.flip(0)
    return out


def read_test_pairs(path: str | Path) -> torch.Tensor:
    """Read the (userId, movieId) pairs of a ratings file in any MovieLens format.

    Uses the ingest stage's reader, :func:`movierec.ingest.movielens.read_ratings_file`: ``ratings.csv``
    (header ``userId,movieId,rating,timestamp``), ``u.data``/``u1.test`` (tab-separated) or ``ratings.dat``
    (``::``-separated), every line checked as on ingest (four fields, numbers, positive ids, half-star
    ratings, timestamps, no (user, movie) pair twice).

    Args:
        path (str | Path): The file.

    Returns:
        torch.Tensor: ``[2, N]`` int64 (userId, movieId) pairs, in file order.

    Raises:
        NotFoundError: The file does not exist.
        TrainError: The file cannot be read, holds no ratings, or a line is bad (the message names the
            file, and the line: ``u1.test:7: not a MovieLens rating line: rating 6 is out of range ...``).
    """
    path = Path(path)
    if not path.is_file():
        raise NotFoundError(f"no ratings file at {path}")
    try:
        ratings = read_ratings_file(path)
    except LineError as e:
        if e.line is None:
            raise TrainError(f"{path}: {e.reason}") from e
        raise TrainError(f"{path}:{e.line}: not a MovieLens rating line: {e.reason}") from e
    except IngestError as e:
        raise TrainError(f"cannot read {path}: {e}") from e
    pairs = ratings[["userId", "movieId"]].to_numpy(dtype=np.int64).T
    return torch.from_numpy(np.ascontiguousarray(pairs))
