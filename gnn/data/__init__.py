"""Neo4j → PyG: the export, the ``--where`` filter, id mappings, the split and neighbour sampling."""
