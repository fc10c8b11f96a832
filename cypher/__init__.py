"""movierec's Cypher library: one query per ``.cypher`` file, loaded by name.

Each file can be opened and run as-is in Neo4j Browser (set its parameters with
``:param``); Python code loads the same text with :func:`load`. Files with several
statements separate them with a ``;`` at the end of a line; :func:`statements`
splits them.

Example:
    >>> "MATCH" in load("recommend_for_user")
    True
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def names() -> list[str]:
    """The names of every query in the library, sorted."""
    return sorted(
        entry.name.removesuffix(".cypher")
        for entry in resources.files(__name__).iterdir()
        if entry.name.endswith(".cypher")
    )


@cache
def load(name: str) -> str:
    """Return the text of ``cypher/<name>.cypher``.

    Args:
        name (str): A query name such as ``"recommend_for_user"``.

    Raises:
        KeyError: If there is no such query.
    """
    if not _NAME.match(name):
        raise KeyError(f"{name!r} is not a query name")
    path = resources.files(__name__) / f"{name}.cypher"
    if not path.is_file():
        raise KeyError(f"no query named {name!r} (known: {', '.join(names())})")
    return path.read_text(encoding="utf-8")


def statements(name: str) -> list[str]:
    """The statements of a multi-statement file, without comment-only pieces."""
    parts = re.split(r";\s*$", load(name), flags=re.MULTILINE)
    out = []
    for part in parts:
        code = "\n".join(line for line in part.splitlines() if not line.strip().startswith("//")).strip()
        if code:
            out.append(code)
    return out
