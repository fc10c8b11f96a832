// movierec: bench peer cleanup
// Removes what the writeback peer wrote (bench-only type and properties). Auto-commit transaction.
// Parameters: $batch (rows per transaction).
//   :param batch => 10000
MATCH ()-[r:BENCH_PEER_REC]->()
CALL (r) { DELETE r } IN TRANSACTIONS OF $batch ROWS
