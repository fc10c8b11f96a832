// movierec: write recommendations
// Writes a run's top-K recommendations, one row per user: first deletes any of that user's
// RECOMMENDED relationships of the same run (so a rerun after a crash rewrites, never duplicates),
// then creates the new ones. Relationships of other runs (the active one) are not touched.
// Parameters: $runId (STRING),
//   $rows (LIST of {userId: INTEGER, recs: LIST of {movieId, score, predictedRating, rank}})
//   :param runId => 'example'
//   :param rows => [{userId: 1, recs: [{movieId: 2, score: 0.9, predictedRating: 4.5, rank: 1}]}]
UNWIND $rows AS row
MATCH (u:User {userId: row.userId})
CALL (u) {
  MATCH (u)-[old:RECOMMENDED {runId: $runId}]->()
  DELETE old
}
WITH u, row
UNWIND row.recs AS rec
WITH u, rec ORDER BY rec.movieId  // one lock order on the shared Movie nodes for concurrent batches
MATCH (m:Movie {movieId: rec.movieId})
CREATE (u)-[:RECOMMENDED {score: rec.score, predictedRating: rec.predictedRating, rank: rec.rank, runId: $runId}]->(m)
