// movierec: write recommendations
// Writes a run's top-K recommendations, one row per user: first deletes any of that user's
// RECOMMENDED relationships of the same run (so a rerun after a crash rewrites, never duplicates),
// then creates the new ones, rank i + 1 for the i-th entry. Relationships of other runs (the active one)
// are not touched. Rows are columns (three equal-length lists), not a map per recommendation: less to pack.
// Parameters: $runId (STRING),
//   $rows (LIST of {userId: INTEGER, movieIds: LIST<INTEGER>, scores: LIST<FLOAT>, ratings: LIST<FLOAT>},
//   best first; ratings are the predicted ratings)
//   :param runId => 'example'
//   :param rows => [{userId: 1, movieIds: [2, 3], scores: [0.9, 0.8], ratings: [4.5, 4.0]}]
UNWIND $rows AS row
MATCH (u:User {userId: row.userId})
// expanded from u, never looked up through the RECOMMENDED(runId) index: with few such relationships in the
// statistics (a first writeback) the planner picks that index and filters on u, which reads every
// relationship the run has written so far, once per row
FOREACH (old IN [r IN [(u)-[x:RECOMMENDED]->() | x] WHERE r.runId = $runId] | DELETE old)
WITH u, row
UNWIND range(0, size(row.movieIds) - 1) AS i
WITH u, row.movieIds[i] AS movieId, row.scores[i] AS score, row.ratings[i] AS rating, i + 1 AS rank
ORDER BY movieId  // one lock order on the shared Movie nodes for concurrent batches
MATCH (m:Movie {movieId: movieId})
CREATE (u)-[:RECOMMENDED {score: score, predictedRating: rating, rank: rank, runId: $runId}]->(m)
