// movierec: read new movies
// Answers: which movies have no place in the active run yet, and what is known of them? A run's writeback gives
// every movie it covers an embedding (and removes it from the others), so a movie without one was added after the
// run was trained (a newer release ingested on top, a movie created in Cypher) or left out by the export's filter.
// For each, in movieId order: its year, genres and every rating it has now (userId order), what folding it in
// (gnn/serving/movie_foldin.py) starts from. A movie with no genres or no ratings comes back with empty lists.
// Parameters: $limit (INTEGER)  at most this many movies
//   :param limit => 100
MATCH (m:Movie)
WHERE m.embedding IS NULL
WITH m ORDER BY m.movieId LIMIT toInteger($limit)
RETURN m.movieId AS movieId, m.title AS title, m.year AS year,
       COLLECT { MATCH (m)-[:IN_GENRE]->(g:Genre) RETURN g.name ORDER BY g.name } AS genres,
       COLLECT { MATCH (u:User)-[:RATED]->(m) RETURN u.userId ORDER BY u.userId } AS userIds,
       COLLECT { MATCH (u:User)-[r:RATED]->(m) RETURN r.rating ORDER BY u.userId } AS ratings
