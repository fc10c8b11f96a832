"""Fold-in of movies a run never saw: a place for them from their content and their first ratings, no retraining.

A movie added after training (a newer release ingested on top, a movie created in Cypher, one the export's filter
left out) has no vector in the run's ranker, no rating model and no ``SIMILAR``. Folding it in mirrors the
fold-in of a new user (:mod:`movierec.gnn.serving.foldin`), with the sides swapped:

- **content prior**: its :func:`content_neighbours`, the trained movies that share the most of its genres (Jaccard),
  the most rated first among equals, then the closest in year: their mean vector is where the movie starts (the
  first 5 for the ranker), with their mean rating bias and, for the ranker, the bias of the first of them
  (:func:`content_prior`). A movie with no genres starts at the most rated movies, a defined answer.
- **ranking** (a :class:`~movierec.gnn.models.scorers.LinearScorer` ranker, ``lightgcn``'s): the movie's vector is
  the star-weighted mean of its raters' user vectors, LightGCN's one-layer propagation from the user side, on the
  trained movies' scale, blended with the prior by ``half / (half + n)`` for ``n`` ratings
  (:func:`fold_in_ranking`); its bias is the prior's, the most rated film of its genres'.
- **ratings** (the rating :class:`~movierec.gnn.models.scorers.LinearScorer`, ``gcmc``'s): ``[b_m, q_m]`` is the
  ridge regression of the movie's ratings on its raters' ``[1, p_u]``, pulled towards the prior
  (:func:`fold_in_ratings`): with no rating it is the prior, with many it is the data.

Measured by holding out 10 % of the movies of ml-latest-small entirely (``python -m bench.movie_foldin``, README
"New movies").

Example:
    >>> rank = LinearScorer(torch.eye(2), torch.eye(2), torch.zeros(2), torch.zeros(2), 0.0)
    >>> vec, bias = fold_in_ranking(rank, torch.tensor([[0, 0], [0, 0]]), torch.tensor([5.0, 5.0]), 1,
    ...                             torch.tensor([[0.0, 1.0]]), torch.tensor([0.0]), half=0.0)
    >>> vec.tolist()
    [[1.0, 0.0]]
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from movierec.gnn.models.base import BIAS_REG, FACTOR_REG, ridge_rows
from movierec.gnn.models.scorers import LinearScorer

CONTENT_NEIGHBOURS = 20  # trained movies averaged into a new movie's content prior (the rating model's)
# the ranker's prior averages fewer: chosen on one draw of held-out movies (bench.movie_foldin, seed 0: HR@100 at
# five ratings 0.605 / 0.611 / 0.600 for 1 / 5 / 20), checked on a disjoint one (seed 1: 0.597, the peer 0.581)
RANK_PRIOR_NEIGHBOURS = 5
PRIOR_HALF = 5.0  # ratings at which a new movie's ranking vector is half its raters', half its content prior


@dataclass
class Catalogue:
    """The run's movies as content: genre one-hots, years, popularity, and which may serve as neighbours.

    Built once per run (:meth:`build`); :func:`content_neighbours` then costs one ``[n, genres] × [genres, M]``
    product per batch of new movies.
    """

    onehot: Tensor  # [M, G]
    vocab: dict[str, int]
    years: Tensor  # [M], 0: unknown
    popular: Tensor  # [M] log-popularity scaled to [0, 1]
    candidates: Tensor  # [M] bool
    counts: Tensor  # [M] genres per movie (the one-hots' row sums, for the genre factor of SIMILAR)

    @classmethod
    def build(cls, genres: list[frozenset[str]], years: Tensor, popularity: Tensor, candidates: Tensor
              ) -> Catalogue:
        """Args: the run's movies' genres and years (``0``: unknown), ratings per movie, and the movies that may
        serve as neighbours (trained, with ratings)."""
        vocab = {g: i for i, g in enumerate(sorted({g for gs in genres for g in gs}))}
        rows = [i for i, gs in enumerate(genres) for _ in gs]
        cols = [vocab[g] for gs in genres for g in gs]
        onehot = torch.zeros(len(genres), max(len(vocab), 1))
        onehot[torch.tensor(rows, dtype=torch.long), torch.tensor(cols, dtype=torch.long)] = 1.0
        log_pop = torch.log1p(popularity.float())
        return cls(onehot, vocab, years, log_pop / float(log_pop.max().clamp(min=1e-6)), candidates.bool(),
                   onehot.sum(1))

    def encode(self, genres: list[frozenset[str]]) -> tuple[Tensor, Tensor]:
        """New movies' one-hots over the catalogue's genres ``[n, G]`` and their genre counts ``[n]`` (a genre the
        catalogue does not have counts in the union, never in the intersection)."""
        out = torch.zeros(len(genres), self.onehot.size(1))
        for i, gs in enumerate(genres):
            for g in gs:
                if g in self.vocab:
                    out[i, self.vocab[g]] = 1.0
        return out, torch.tensor([float(len(gs)) for gs in genres])


def content_neighbours(catalogue: Catalogue, new_genres: list[frozenset[str]], new_years: Tensor,
                       top: int = CONTENT_NEIGHBOURS) -> tuple[Tensor, Tensor]:
    """Each new movie's ``top`` nearest catalogue movies by content, and their weights.

    Args:
        catalogue (Catalogue): The run's movies (:meth:`Catalogue.build`).
        new_genres (list[frozenset[str]]): The new movies' genres (empty: none).
        new_years (Tensor): ``[n]`` their years (``0``: unknown).
        top (int): Neighbours per new movie. (default: ``20``)

    Returns:
        tuple[Tensor, Tensor]: ``[n, top]`` movie indices and ``[n, top]`` weights summing to 1 (the genre
        Jaccard, or uniform where no neighbour shares a genre: then they are the most rated movies).
    """
    a, sizes = catalogue.encode(new_genres)
    inter = a @ catalogue.onehot.T
    union = sizes.unsqueeze(1) + catalogue.onehot.sum(1).unsqueeze(0) - inter
    jaccard = torch.where(union > 0, inter / union.clamp(min=1), torch.zeros_like(inter))
    years = catalogue.years
    known = (new_years > 0).unsqueeze(1) & (years > 0).unsqueeze(0)
    gap = torch.where(known, (new_years.unsqueeze(1) - years.unsqueeze(0)).abs().float().clamp(max=100), 100.0)
    # Jaccard steps are at least 1/(genres)², far above the tie-breaks: the most rated, then the closest in year
    score = jaccard + 1e-3 * catalogue.popular.unsqueeze(0) - 1e-6 * gap
    score = score.masked_fill(~catalogue.candidates.unsqueeze(0), -float("inf"))
    k = min(top, int(catalogue.candidates.sum()))
    _, idx = torch.topk(score, k, dim=1)
    weight = jaccard.gather(1, idx)
    uniform = weight.sum(1, keepdim=True) <= 0
    weight = torch.where(uniform, torch.ones_like(weight), weight)
    return idx, weight / weight.sum(1, keepdim=True)


def content_prior(vectors: Tensor, bias: Tensor, neighbours: Tensor, weight: Tensor, first_bias: bool = False,
                  top: int | None = None) -> tuple[Tensor, Tensor]:
    """The weighted mean of the neighbours' vectors ``[n, d]``, and their biases' ``[n]``.

    ``top``: only the first ``top`` neighbours, their weights renormalised (the ranker's prior:
    :data:`RANK_PRIOR_NEIGHBOURS`).

    ``first_bias``: the bias of the first neighbour instead (the most rated film of the movie's genres), what the
    ranker's prior takes: a ranker's movie bias carries popularity, and a movie that is being rated is more like
    its genre's most rated film than its genre's average (``python -m bench.movie_foldin``: HR@100 0.600 against
    0.209 with the mean at five ratings, README "New movies").
    """
    if top is not None:
        neighbours, weight = neighbours[:, :top], weight[:, :top] / weight[:, :top].sum(1, keepdim=True)
    mean_bias = bias[neighbours[:, 0]] if first_bias else (bias[neighbours] * weight).sum(1)
    return (vectors[neighbours] * weight.unsqueeze(2)).sum(1), mean_bias


def fold_in_ranking(scorer: LinearScorer, raters: Tensor, stars: Tensor, num_new: int, prior: Tensor,
                    prior_bias: Tensor, half: float = PRIOR_HALF) -> tuple[Tensor, Tensor]:
    """New movies' ranking vectors ``[n, d]`` and biases ``[n]`` from their raters and content prior.

    Args:
        scorer (LinearScorer): The run's ranking scorer (its user vectors are kept).
        raters (Tensor): ``[2, E]`` (new movie row, user index) of the new movies' ratings by the run's users.
        stars (Tensor): ``[E]`` the ratings (the weights of the mean, as the training graph's edges).
        num_new (int): New movies ``n``.
        prior (Tensor): ``[n, d]`` content prior vectors (:func:`content_prior`).
        prior_bias (Tensor): ``[n]`` content prior biases.
        half (float): Ratings at which the raters' mean and the prior weigh the same. (default: ``5``)
    """
    d = scorer.movie.size(1)
    agg = torch.zeros(num_new, d).index_add_(0, raters[0], scorer.user[raters[1]].float() * stars.float().unsqueeze(1))
    n = torch.bincount(raters[0], minlength=num_new).float()
    scale = scorer.movie.float().norm(dim=1).mean()  # the trained movies' length (lightgcn's: unit)
    from_raters = F.normalize(agg, dim=1) * scale
    share = (n / (n + half)).unsqueeze(1) if half > 0 else (n > 0).float().unsqueeze(1)
    return share * from_raters + (1 - share) * prior, prior_bias.clone()


def fold_in_ratings(scorer: LinearScorer, raters: Tensor, ratings: Tensor, num_new: int, prior: Tensor,
                    prior_bias: Tensor, bias_reg: float = BIAS_REG, factor_reg: float = FACTOR_REG,
                    scale: float | None = None) -> tuple[Tensor, Tensor]:
    """New movies' rating factors ``q`` ``[n, d]`` and biases ``b`` ``[n]``: ridge towards the content prior.

    For movie ``m`` rated ``r_u`` by users ``u``, ``[b_m, q_m]`` minimises ``Σ (r_u - offset - b_u - b_m -
    p_u · q_m)² + bias_reg (b_m - b₀)² + λ |q_m - q₀|²`` with ``λ = factor_reg · mean |p|²`` and ``[b₀, q₀]``
    the prior: the user fold-in's regression (:func:`movierec.gnn.models.base.fold_in_ratings`) from the movie
    side. ``scale`` is ``mean |p|²`` when already known (:func:`user_scale`; a 25M run's takes 40 ms).
    """
    d = scorer.user.size(1)
    x = torch.cat([torch.ones(raters.size(1), 1), scorer.user[raters[1]].float()], dim=1)  # [E, 1 + d]
    target = ratings.float() - scorer.offset - scorer.user_bias[raters[1]].float()
    scale = user_scale(scorer) if scale is None else scale
    reg = torch.full((d + 1,), factor_reg * scale)
    reg[0] = bias_reg
    start = torch.cat([prior_bias.float().unsqueeze(1), prior.float()], dim=1)
    solved = ridge_rows(x, target, raters[0], num_new, reg, start)
    return solved[:, 1:].contiguous(), solved[:, 0].contiguous()


def user_scale(scorer: LinearScorer) -> float:
    """``mean |p|²`` over the scorer's users (1 without factors): the scale of the rating fold-in's ridge."""
    return float(scorer.user.float().pow(2).sum(1).mean()) if scorer.user.size(1) else 1.0
