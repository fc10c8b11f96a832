"""movierec's Cypher library: one query per ``.cypher`` file, loaded by name.

Each file can be opened and run as-is in Neo4j Browser (set its parameters with the
``:param`` lines of its header); Python code loads the same text with :func:`load`. Files with
several statements separate them with a ``;`` at the end of a line; :func:`statements` splits
them. :class:`QueryLibrary` is the loader; the benchmark harness keeps its peers' queries in a
library of its own (``bench/cypher``) read by the same class.

Every file starts with the same header::

    // movierec: <what it is, in words>
    // <what it answers or does>
    // <its parameters, and for each one a line to paste into Browser:>
    //   :param userId => 1

or ``// Parameters: none.`` when it takes none.

Example:
    >>> "MATCH" in load("recommend_for_user")
    True
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class QueryLibrary:
    """The ``.cypher`` files of one Python package, loaded by name.

    Args:
        package (str): The package whose folder holds the files, e.g. ``"movierec.cypher"``.
    """

    def __init__(self, package: str) -> None:
        self.package = package

    def names(self) -> list[str]:
        """The names of every query in the library, sorted."""
        return sorted(
            entry.name.removesuffix(".cypher")
            for entry in resources.files(self.package).iterdir()
            if entry.name.endswith(".cypher")
        )

    @cache  # noqa: B019 (one library per package, alive for the whole process)
    def load(self, name: str) -> str:
        """Return the text of ``<name>.cypher``.

        Args:
            name (str): A query name such as ``"recommend_for_user"``.

        Raises:
            KeyError: If there is no such query.
        """
        if not _NAME.match(name):
            raise KeyError(f"{name!r} is not a query name")
        path = resources.files(self.package) / f"{name}.cypher"
        if not path.is_file():
            raise KeyError(f"no query named {name!r} in {self.package} (known: {', '.join(self.names())})")
        return path.read_text(encoding="utf-8")

    def statements(self, name: str) -> list[str]:
        """The statements of a multi-statement file, without comment-only pieces."""
        parts = re.split(r";\s*$", self.load(name), flags=re.MULTILINE)
        out = []
        for part in parts:
            code = "\n".join(line for line in part.splitlines() if not line.strip().startswith("//")).strip()
            if code:
                out.append(code)
        return out


LIBRARY = QueryLibrary(__name__)
names = LIBRARY.names
load = LIBRARY.load
statements = LIBRARY.statements
