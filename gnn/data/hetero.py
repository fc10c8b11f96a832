"""The PyTorch Geometric names of the exported graph: node types and edge types, and the edges typed by rating.

Node types ``user`` and ``movie``; the ratings are ``('user', 'rates', 'movie')`` with their reverse
``('movie', 'rev_rates', 'user')``, as in ``torch_geometric/datasets/movie_lens.py``. GC-MC-style models split
them by rating level (:func:`typed_edge_index`).
"""

from __future__ import annotations

from typing import Any, Final

from torch import Tensor

USER: Final = "user"
MOVIE: Final = "movie"
RATES: Final = (USER, "rates", MOVIE)
REV_RATES: Final = (MOVIE, "rev_rates", USER)


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


def movie_genres(data: Any) -> Tensor | None:
    """``[M, G]`` the movies' genre one-hots (the first ``len(data.genres)`` columns of ``data['movie'].x``, as
    the exporter writes them), or ``None`` for a graph without genres."""
    x = data[MOVIE].get("x")
    vocabulary = list(getattr(data, "genres", None) or [])
    if x is None or not vocabulary:
        return None
    return (x[:, :len(vocabulary)] > 0).float()
