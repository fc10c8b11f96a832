// movierec: create vector indexes
// Vector indexes on the learned embeddings (cosine), so that
// db.index.vector.queryNodes('movie_embedding', k, vector) finds the nearest movies. Idempotent;
// an index with other dimensions must be dropped first (drop_vector_indexes).
// Parameters: $dimensions (INTEGER, the run's embedding size, 1 to 4096)
//   :param dimensions => 64
CREATE VECTOR INDEX user_embedding IF NOT EXISTS FOR (u:User) ON u.embedding
OPTIONS {indexConfig: {`vector.dimensions`: $dimensions, `vector.similarity_function`: 'cosine'}};
CREATE VECTOR INDEX movie_embedding IF NOT EXISTS FOR (m:Movie) ON m.embedding
OPTIONS {indexConfig: {`vector.dimensions`: $dimensions, `vector.similarity_function`: 'cosine'}};
