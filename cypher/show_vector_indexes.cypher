// movierec: show vector indexes
// The embedding vector indexes, their state, dimensions and HNSW links per node (m).
// Parameters: none.
SHOW VECTOR INDEXES YIELD name, state, options
WHERE name IN ['user_embedding', 'movie_embedding']
RETURN name, state, options.indexConfig.`vector.dimensions` AS dimensions,
       options.indexConfig.`vector.hnsw.m` AS m
