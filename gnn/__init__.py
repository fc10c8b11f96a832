"""Neo4j → tensors → model → Neo4j, one folder per stage, in the order the data flows:

- :mod:`movierec.gnn.data`: export a subgraph from Neo4j to PyG (``export``), the ``--where`` filter (``where``),
  ids ↔ tensor indices (``ids``), the train / validation / test split (``split``), neighbour sampling (``sampler``);
- :mod:`movierec.gnn.models`: one module per model and per peer, one interface (``base``), one registry
  (``registry``), the scorers every model is reduced to (``scorers``);
- :mod:`movierec.gnn.training`: the config, early stopping, the training entry point (``train``), the run
  directory (``run``, ``run_dir``) and rebuilding a model from it (``rebuild``);
- :mod:`movierec.gnn.evaluation`: metrics, the comparison with the peers (``evaluate``), plots, fold-in quality;
- :mod:`movierec.gnn.serving`: top-K, write-back into Neo4j, similar movies, the vector index, fold-in and
  refresh of changed users.
"""

from movierec.core.quiet import pyg_import

with pyg_import():
    import torch_geometric  # noqa: F401  (imported once here, quietly: every stage of gnn uses it)
