// movierec: read sample ids
// The query benchmark's samples: users holding the active run's recommendations, and movies with an embedding.
// Parameters: none.
MATCH (run:ModelRun {active: true})
CALL (run) {
  MATCH (u:User)-[:RECOMMENDED {runId: run.runId}]->()
  RETURN collect(DISTINCT u.userId) AS users
}
CALL () {
  MATCH (m:Movie) WHERE m.embedding IS NOT NULL
  RETURN collect(m.movieId) AS movies
}
RETURN users, movies
