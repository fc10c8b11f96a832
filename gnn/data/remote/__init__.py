"""PyG's remote backend over Neo4j: PyG's own loaders sample from Neo4j without ``movierec export``.

- :class:`~movierec.gnn.data.remote.stores.Neo4jGraphStore`: the user–movie topology, read once, in memory;
- :class:`~movierec.gnn.data.remote.stores.Neo4jFeatureStore`: features and ratings fetched per batch, cached;
- :class:`~movierec.gnn.data.remote.sampler.Neo4jNeighborSampler`: a plain-torch heterogeneous sampler that
  ``NodeLoader`` and ``LinkLoader`` accept.
"""

from movierec.gnn.data.remote.sampler import Neo4jNeighborSampler
from movierec.gnn.data.remote.stores import Neo4jFeatureStore, Neo4jGraphStore, stores_graph

__all__ = ["Neo4jFeatureStore", "Neo4jGraphStore", "Neo4jNeighborSampler", "stores_graph"]
