// movierec: refresh recommendations
// Replaces users' RECOMMENDED under the ACTIVE run with fresh ones (fold-in scores of their current
// ratings), all in one transaction: a reader sees each user's old list or the new one, never a mix.
// The user node is written first (refreshedAt, refreshedRunId), which locks it: two refreshes of one user
// serialise instead of duplicating. The run node is write-locked first, so a switch to another run (which
// writes it) is ordered with this transaction: nothing is written (users = 0) if $runId is no longer active. The user's
// folded-in rating model (ratingBias, ratingFactors) replaces theirs, so predict_rating answers for them too.
// Parameters: $runId (STRING), $readAt (DATETIME, when the ratings were read),
//   $rows (LIST of {userId: INTEGER, version: INTEGER, ratingBias: FLOAT, ratingFactors: LIST<FLOAT>,
//          recs: LIST of {movieId, score, predictedRating, rank}})
//   :param runId => 'example'
//   :param readAt => datetime()
//   :param rows => [{userId: 1, version: 1, ratingBias: 0.1, ratingFactors: [0.0, 0.2], recs: [{movieId: 2, score: 0.9, predictedRating: 4.5, rank: 1}]}]
MATCH (run:ModelRun {runId: $runId})
SET run._LOCK_ = true REMOVE run._LOCK_  // the switch writes this node first: it waits for us, or we for it
WITH run WHERE run.active
UNWIND $rows AS row
MATCH (u:User {userId: row.userId})
SET u.refreshedAt = $readAt, u.refreshedRunId = $runId, u.refreshedVersion = row.version,
    u.ratingBias = row.ratingBias, u.ratingFactors = row.ratingFactors
WITH u, row
// expanded from u, never looked up through the RECOMMENDED(runId) index: with few such relationships in the
// statistics (a first writeback) the planner picks that index and filters on u, which reads every
// relationship the run has written so far, once per row
FOREACH (old IN [r IN [(u)-[x:RECOMMENDED]->() | x] WHERE r.runId = $runId] | DELETE old)
WITH u, row
CALL (u, row) {
  UNWIND row.recs AS rec
  WITH rec ORDER BY rec.movieId  // one lock order on the shared Movie nodes
  MATCH (m:Movie {movieId: rec.movieId})
  CREATE (u)-[:RECOMMENDED {score: rec.score, predictedRating: rec.predictedRating, rank: rec.rank, runId: $runId}]->(m)
}
RETURN count(u) AS users
