// movierec: stage movie embeddings
// Writes a run's movie embeddings and the movies' side of its rating model (bias, factors) to staging
// properties, leaving Movie.embedding, Movie.ratingBias and Movie.ratingFactors (the active run's, read by
// queries and the vector index) untouched until activate_run swaps them in.
// Parameters: $runId (STRING), $rows (LIST of {movieId: INTEGER, embedding: LIST<FLOAT>, ratingBias: FLOAT,
//   ratingFactors: LIST<FLOAT>})
//   :param runId => 'example'
//   :param rows => [{movieId: 1, embedding: [0.1, 0.2], ratingBias: -0.5, ratingFactors: [0.2, 0.4]}]
UNWIND $rows AS row
MATCH (m:Movie {movieId: row.movieId})
SET m.stagedEmbedding = row.embedding, m.stagedRatingBias = row.ratingBias,
    m.stagedRatingFactors = row.ratingFactors, m.stagedRunId = $runId
