// movierec: stage user embeddings
// Writes a run's user embeddings to a staging property, leaving User.embedding (the active run's,
// read by queries and the vector index) untouched until activate_run swaps them in.
// Parameters: $runId (STRING), $rows (LIST of {userId: INTEGER, embedding: LIST<FLOAT>})
//   :param runId => 'example'
//   :param rows => [{userId: 1, embedding: [0.1, 0.2]}]
UNWIND $rows AS row
MATCH (u:User {userId: row.userId})
SET u.stagedEmbedding = row.embedding, u.stagedRunId = $runId
