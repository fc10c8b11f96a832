"""The PyTorch Geometric names of the exported graph: node types and edge types.

Node types ``user`` and ``movie``; the ratings are ``('user', 'rates', 'movie')`` with their reverse
``('movie', 'rev_rates', 'user')``, as in ``torch_geometric/datasets/movie_lens.py``.
"""

from __future__ import annotations

from typing import Final

USER: Final = "user"
MOVIE: Final = "movie"
RATES: Final = (USER, "rates", MOVIE)
REV_RATES: Final = (MOVIE, "rev_rates", USER)
