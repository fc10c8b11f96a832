// movierec: bench peer write movie embeddings
// Peer for the writeback benchmark: movie embeddings set plainly on a bench-only property.
// Parameters: $rows, a list of {id: INTEGER (movieId), e: LIST<FLOAT>}.
//   :param rows => [{id: 1, e: [0.1, 0.2]}]
UNWIND $rows AS row
MATCH (m:Movie {movieId: row.id})
SET m.benchPeerEmbedding = row.e
