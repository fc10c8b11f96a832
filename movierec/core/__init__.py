"""The bottom layer: errors, graph-model names, connection settings and the Neo4j connection.

Nothing here imports any other part of movierec.
"""
