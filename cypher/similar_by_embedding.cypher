// movierec: similar by embedding
// Answers: which movies are closest to a movie in the active run's embedding space ("movies like this
// embedding")? Popular movies dominate it; similar_movies (co-ratings) is what a person expects.
// Uses the vector index movie_embedding (cosine similarity of Movie.embedding; score in [0, 1]).
// Parameters:
//   $movieId (INTEGER)  the movie's movieId
//   $k       (INTEGER)  how many neighbours
// In Neo4j Browser set them first:
//   :param movieId => 1
//   :param k => 10
// CYPHER 5: the same query on both lines. Cypher 25 (the default language of Neo4j 2026.02+ installs) replaces
// db.index.vector.queryNodes by SEARCH and flags the call as deprecated; SEARCH does not parse on 5.26.
CYPHER 5
MATCH (m:Movie {movieId: $movieId})
WHERE m.embedding IS NOT NULL
CALL db.index.vector.queryNodes('movie_embedding', toInteger($k) + 1, m.embedding) YIELD node, score
WITH m, node, score
WHERE node <> m
RETURN node.movieId AS movieId, node.title AS title, node.year AS year,
       COLLECT { MATCH (node)-[:IN_GENRE]->(g:Genre) RETURN g.name ORDER BY g.name } AS genres,
       score
ORDER BY score DESC, movieId
LIMIT toInteger($k)
