"""Progress reporting: the library reports, only the CLI draws (tqdm bars on stderr).

Long work (ingest, download, writeback) takes a :data:`ProgressFactory`: it is called once per
phase with the phase's name and its total, and returns a :class:`Bar` that the work advances
and closes. A ``tqdm`` is a :class:`Bar`; ``None`` means no progress display.

Example:
    >>> from tqdm import tqdm
    >>> factory = lambda phase, total: tqdm(total=total, desc=phase)
    >>> with Phases(factory) as phases:       # doctest: +SKIP
    ...     phases.start("embeddings", 1000)
    ...     phases.advance(1000)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol


class Bar(Protocol):
    """What a progress bar needs to offer (a ``tqdm`` does)."""

    def update(self, n: int = 1) -> bool | None: ...

    def close(self) -> None: ...


ProgressFactory = Callable[[str, int], Bar]
"""Makes one progress bar per phase, given the phase name and its total (0 when unknown)."""


class Phases:
    """One bar at a time from a factory: :meth:`start` closes the previous phase's bar.

    Args:
        factory (ProgressFactory, optional): Makes the bars; ``None`` reports nothing.
    """

    def __init__(self, factory: ProgressFactory | None) -> None:
        self.factory = factory
        self.bar: Bar | None = None

    def start(self, name: str, total: int) -> None:
        """Close the current bar and open one for phase ``name`` with ``total`` steps."""
        self.close()
        if self.factory is not None:
            self.bar = self.factory(name, total)

    def advance(self, n: int) -> None:
        """``n`` more steps of the current phase are done."""
        if self.bar is not None:
            self.bar.update(n)

    def close(self) -> None:
        """Close the current bar, if any."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def __enter__(self) -> Phases:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
