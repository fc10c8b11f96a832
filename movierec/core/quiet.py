"""Warnings that torch and PyG print on every run and that tell a movierec user nothing, silenced where they start.

Each helper silences one message, of one category, only inside its block: no global filter, so the same warning
from a user's own code still shows.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

CSR_BETA = "Sparse CSR tensor support is in beta state"
JIT_SCRIPT_DEPRECATED = r"`torch\.jit\.script` is deprecated"


@contextmanager
def csr_tensors() -> Iterator[None]:
    """Around code that builds sparse CSR tensors.

    torch warns, once per process, that CSR support "is in beta state". movierec builds its CSR tensors from
    sorted, checked indices (``check_invariants=False``, said explicitly) and only multiplies them.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=CSR_BETA, category=UserWarning)
        yield


@contextmanager
def pyg_import() -> Iterator[None]:
    """Around the first import of ``torch_geometric``.

    PyG calls ``torch.jit.script`` while it imports, which torch 2.10 deprecates with a ``FutureWarning``: PyG's to
    change, not the user's, and printed by every command.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=JIT_SCRIPT_DEPRECATED, category=FutureWarning)
        yield
