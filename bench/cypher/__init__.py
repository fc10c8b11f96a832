"""The benchmark's own Cypher (the peers' queries), one ``.cypher`` file each, loaded by name."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def load(name: str) -> str:
    """Return the text of ``bench/cypher/<name>.cypher``.

    Raises:
        KeyError: If there is no such file.
    """
    path = resources.files(__name__) / f"{name}.cypher"
    if not path.is_file():
        raise KeyError(f"no benchmark query named {name!r}")
    return path.read_text(encoding="utf-8")
