"""From a run to answers: top-K, write-back into Neo4j, similar movies, the vector index, fold-in and refresh."""
