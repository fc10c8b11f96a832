// movierec: create vector indexes
// The vector index on the learned movie embeddings (cosine), so that
// db.index.vector.queryNodes('movie_embedding', k, vector) finds the nearest movies. Idempotent;
// an index with other dimensions must be dropped first (drop_vector_indexes). User.embedding is written
// too but not indexed: no query looks users up by vector, and filling an index of every user was most of
// the index step of a writeback. HNSW with 32 links a node and 400 candidates while building (Neo4j's defaults:
// 16 and 100): on the default run's 256-dim movie embeddings its top 10 finds 0.915 of the exact cosine top 10 on
// 5.26 (0.693 with the defaults) and 0.956 on 2026.08.1 (0.935), at 1.6-1.9 ms p50 (python -m bench.vector_recall).
// Parameters: $dimensions (INTEGER, the run's embedding size, 1 to 4096)
//   :param dimensions => 64
CREATE VECTOR INDEX movie_embedding IF NOT EXISTS FOR (m:Movie) ON m.embedding
OPTIONS {indexConfig: {`vector.dimensions`: $dimensions, `vector.similarity_function`: 'cosine',
                       `vector.hnsw.m`: 32, `vector.hnsw.ef_construction`: 400}}
