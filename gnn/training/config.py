"""The hyper-parameters of one training run, saved as ``config.json`` beside the weights.

One frozen dataclass per concern: what to export is :class:`~movierec.gnn.data.where.SubgraphFilter`, how to
split :class:`~movierec.gnn.data.split.SplitConfig`, how to train :class:`TrainConfig`. Each model's own
defaults live in its module (``Model.defaults``, :mod:`movierec.gnn.models`);
:func:`movierec.gnn.models.registry.config_for` applies them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from movierec.gnn.data.split import SplitConfig


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters of one training run (saved as ``config.json`` in the run directory).

    The dataclass's defaults are the ``sage`` settings tuned on ml-latest-small (random 80/10/10, seed 0); each
    model sets its own (``Model.defaults``), which :func:`~movierec.gnn.models.registry.config_for` applies.

    Args:
        model (str): ``"ease"`` (closed-form item-item ranker on the rating graph, the default ranker),
            ``"gfcf"`` (closed-form graph filter), ``"lightgcn"`` (top-K ranking, BPR) or ``"sage"`` (rating
            regression). (default: ``"sage"``; :func:`~movierec.gnn.models.registry.config_for` gives each model's
            defaults)
        hidden (int): Embedding / hidden size. (default: ``64``)
        layers (int): Message-passing layers. (default: ``1``)
        epochs (int): Maximum epochs. (default: ``300``)
        lr (float): Adam learning rate. (default: ``0.01``)
        weight_decay (float): L2 penalty (AdamW-style decoupled for ``sage``). (default: ``1e-4``)
        dropout (float): Dropout on node representations. (default: ``0.3``)
        patience (int): Early stopping: epochs without a better validation score. (default: ``30``)
        target_share (float): ``sage``: share of training edges used as targets each epoch and
            left out of that epoch's message graph, so that an edge never carries its own
            rating to itself. (default: ``0.2``)
        batch_size (int): ``lightgcn``: users per softmax step (0: about 5 steps an epoch, at least 128 users);
            ``sage --minibatch``: target edges per step. (default: ``32768``; ``lightgcn`` ``0``. With 4,096 targets a
            mini-batch epoch of a 1M-rating graph took 86 s on 2 cores, with 32,768 14 s: each
            sampled neighbourhood costs about the same, so fewer, larger batches win.)
        minibatch (bool): ``sage``: train on sampled neighbourhoods (:mod:`movierec.gnn.data.sampler`) instead of the
            full graph. (default: ``False``)
        num_neighbors (tuple[int, ...]): ``--minibatch`` fan-out per layer. (default: ``(20,)``)
        loader (str): ``sage --minibatch``: ``"memory"`` samples the exported graph
            (:mod:`movierec.gnn.data.sampler`); ``"neo4j"`` takes its batches from PyG's ``LinkLoader`` over the Neo4j
            remote stores (:mod:`movierec.gnn.data.remote`). (default: ``"memory"``)
        ensemble (int): ``sage``: models trained with different seeds whose predictions are
            averaged (variance reduction; each extra member costs one more training). (default: ``3``)
        rating_head_epochs (int): ``lightgcn``, ``ease``, ``gfcf``: epochs fitting the rating head on the training
            ratings. (default: ``200``)
        temperature (float): ``lightgcn``: the softmax temperature τ over the cosines. (default: ``0.2``)
        low_rating_weight (float): ``lightgcn``: a training rating below 4 stars is a softmax target of this
            weight (4 and more: 1). (default: ``0.3``)
        softmax (str): ``lightgcn``: ``"full"`` (every movie in every step), ``"sampled"`` (``negatives`` drawn by
            popularity, logQ-corrected) or ``"auto"`` (full up to 20,000 movies). (default: ``"auto"``)
        negatives (int): ``lightgcn``: movies sampled per step by the sampled softmax. (default: ``1000``)
        weighting (str): ``ease``/``gfcf``: edge weights of the user × movie graph, ``"rating"`` (the stars) or
            ``"binary"``. (default: ``"rating"``: ahead of binary on both splits of ml-latest-small)
        ease_lambda (float, optional): ``ease``: the L2 weight λ; ``None`` takes the best on the validation edges
            among ``lambda_scales`` × the mean diagonal of ``RᵀR``. (default: ``None``)
        lambda_scales (tuple[float, ...]): ``ease``: the λ candidates, relative to that diagonal (λ grows with
            the data). (default: ``(16,)``: on ml-latest-small the validation NDCG@10 peaks at 16x on the random
            split and is within 0.0003 of its peak (24x) on the temporal one, ``python -m bench.ablation
            --sweep``; one fit instead of several matters at 25M, where each is a 10,000² inverse)
        max_items (int): ``ease``: movies covered by the dense movie × movie model, the most rated first; the
            others are never recommended. Its cost grows as the cube: at 20,000 movies the fit alone took
            2.7 min on the 2-core machine (1M synthetic ratings), at 10,000 about an eighth. (default:
            ``10000``: every rated movie of ml-latest-small, 8,960)
        keep (int): ``ease``: entries kept per column of ``B`` (0: all). (default: ``1000``)
        filter_beta (float): ``gfcf`` (and the embeddings of both): degree normalisation exponent β.
            (default: ``0.4``; 0.5 is GF-CF's, lower penalises popular movies less)
        filter_rank (int): ``gfcf``: singular vectors of the ideal low-pass filter. (default: ``128``)
        filter_alpha (float): ``gfcf``: weight of the ideal low-pass filter. (default: ``0.3``)
        similar_k (int): Most similar movies kept per movie (by co-rating; ``SIMILAR`` in Neo4j). (default: ``20``)
        ranker (str): ``combined``: the model whose ranking fills ``RECOMMENDED``. (default: ``"lightgcn"`` there,
            ``""`` elsewhere)
        rating_model (str): ``combined``: the model whose predicted ratings are served. (default: ``"gcmc"``)
        embedding_model (str): ``combined``: the model whose vectors are the embeddings. (default: ``"gcmc"``)
        k (int): Cut-off of the ranking metrics. (default: ``10``)
        seed (int): Seed of model initialisation and sampling. (default: ``0``)
        device (str): ``"auto"``, ``"cpu"`` or ``"cuda"``. (default: ``"auto"``)
    """

    model: str = "sage"
    hidden: int = 64
    layers: int = 1
    epochs: int = 300
    lr: float = 0.01
    weight_decay: float = 1e-4
    dropout: float = 0.3
    patience: int = 30
    target_share: float = 0.2
    batch_size: int = 32768
    minibatch: bool = False
    num_neighbors: tuple[int, ...] = (20,)
    loader: str = "memory"
    ensemble: int = 3
    rating_head_epochs: int = 200
    temperature: float = 0.2
    low_rating_weight: float = 0.3
    softmax: str = "auto"
    negatives: int = 1_000
    weighting: str = "rating"
    ease_lambda: float | None = None
    lambda_scales: tuple[float, ...] = (16.0,)
    max_items: int = 10_000
    keep: int = 1_000
    filter_beta: float = 0.4
    filter_rank: int = 128
    filter_alpha: float = 0.3
    similar_k: int = 20
    ranker: str = ""
    rating_model: str = ""
    embedding_model: str = ""
    k: int = 10
    seed: int = 0
    device: str = "auto"
    split: SplitConfig = field(default_factory=SplitConfig)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict of every field."""
        out = dataclasses.asdict(self)
        out["num_neighbors"] = list(self.num_neighbors)
        out["lambda_scales"] = list(self.lambda_scales)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """Inverse of :meth:`to_dict` (unknown keys are ignored, so older runs still load)."""
        names = {f.name for f in dataclasses.fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in names}
        if isinstance(kwargs.get("split"), dict):
            split_names = {f.name for f in dataclasses.fields(SplitConfig)}
            kwargs["split"] = SplitConfig(**{k: v for k, v in kwargs["split"].items() if k in split_names})
        for name in ("num_neighbors", "lambda_scales"):
            if name in kwargs:
                kwargs[name] = tuple(kwargs[name])
        return cls(**kwargs)

