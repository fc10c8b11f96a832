// movierec: stage movie embeddings
// Writes a run's movie embeddings to a staging property, leaving Movie.embedding (the active run's,
// read by queries and the vector index) untouched until activate_run swaps them in.
// Parameters: $runId (STRING), $rows (LIST of {movieId: INTEGER, embedding: LIST<FLOAT>})
//   :param runId => 'example'
//   :param rows => [{movieId: 1, embedding: [0.1, 0.2]}]
UNWIND $rows AS row
MATCH (m:Movie {movieId: row.movieId})
SET m.stagedEmbedding = row.embedding, m.stagedRunId = $runId
