// movierec: similar movies
// Answers: which movies are most similar to a movie, by the active run's SIMILAR relationships
// (rated by the same users: the score of `other` is the share of its raters who also rated `m`, smoothed,
// n_ij / (n_j + 10), times (1 + 0.2 J) / 1.2 with J the overlap of the two movies' genres, over the ratings the
// run was trained from; in (0, 1], rank 1 the most similar).
// For "closest in the embedding space" see similar_by_embedding.
// Parameters:
//   $movieId (INTEGER)  the movie's movieId
//   $k       (INTEGER)  how many neighbours (at most the run's similarK)
// In Neo4j Browser set them first:
//   :param movieId => 1
//   :param k => 10
MATCH (run:ModelRun {active: true})
MATCH (m:Movie {movieId: $movieId})-[s:SIMILAR {runId: run.runId}]->(other:Movie)
RETURN other.movieId AS movieId, other.title AS title, other.year AS year,
       COLLECT { MATCH (other)-[:IN_GENRE]->(g:Genre) RETURN g.name ORDER BY g.name } AS genres,
       s.score AS score
ORDER BY s.rank
LIMIT toInteger($k)
