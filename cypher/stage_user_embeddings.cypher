// movierec: stage user embeddings
// Writes a run's user embeddings and the users' side of its rating model (bias, factors) to staging
// properties, leaving User.embedding, User.ratingBias and User.ratingFactors (the active run's, read by
// queries and the vector index) untouched until activate_run swaps them in.
// Parameters: $runId (STRING), $rows (LIST of {userId: INTEGER, embedding: LIST<FLOAT>, ratingBias: FLOAT,
//   ratingFactors: LIST<FLOAT>})
//   :param runId => 'example'
//   :param rows => [{userId: 1, embedding: [0.1, 0.2], ratingBias: 0.25, ratingFactors: [0.3, -0.1]}]
UNWIND $rows AS row
MATCH (u:User {userId: row.userId})
SET u.stagedEmbedding = row.embedding, u.stagedRatingBias = row.ratingBias,
    u.stagedRatingFactors = row.ratingFactors, u.stagedRunId = $runId
