// movierec: bench peer cleanup embeddings
// Removes the writeback peer's embedding properties. Auto-commit transaction.
// Parameters: $batch (rows per transaction).
//   :param batch => 10000
MATCH (n) WHERE n.benchPeerEmbedding IS NOT NULL
CALL (n) { REMOVE n.benchPeerEmbedding } IN TRANSACTIONS OF $batch ROWS
