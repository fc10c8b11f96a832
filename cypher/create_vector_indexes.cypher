// movierec: create vector indexes
// The vector index on the learned movie embeddings (cosine), so that
// db.index.vector.queryNodes('movie_embedding', k, vector) finds the nearest movies. Idempotent;
// an index with other dimensions must be dropped first (drop_vector_indexes). User.embedding is written
// too but not indexed: no query looks users up by vector, and filling an index of every user was most of
// the index step of a writeback.
// Parameters: $dimensions (INTEGER, the run's embedding size, 1 to 4096)
//   :param dimensions => 64
CREATE VECTOR INDEX movie_embedding IF NOT EXISTS FOR (m:Movie) ON m.embedding
OPTIONS {indexConfig: {`vector.dimensions`: $dimensions, `vector.similarity_function`: 'cosine'}}
