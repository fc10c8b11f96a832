// movierec: bench peer write user embeddings
// Peer for the writeback benchmark: user embeddings set plainly on a bench-only property.
// Parameters: $rows, a list of {id: INTEGER (userId), e: LIST<FLOAT>}.
//   :param rows => [{id: 1, e: [0.1, 0.2]}]
UNWIND $rows AS row
MATCH (u:User {userId: row.id})
SET u.benchPeerEmbedding = row.e
