"""A real Neo4j server on this machine, from the official jars (``movierec neo4j start``)."""
