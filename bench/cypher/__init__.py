"""The benchmark's own Cypher (the peers' queries), one ``.cypher`` file each, loaded by name.

Read by the product's loader (:class:`movierec.cypher.QueryLibrary`), with the same header convention.
"""

from __future__ import annotations

from movierec.cypher import QueryLibrary

LIBRARY = QueryLibrary(__name__)
names = LIBRARY.names
load = LIBRARY.load
statements = LIBRARY.statements
