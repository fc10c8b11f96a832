// movierec: clear staged embeddings
// After a switch: removes staged embeddings and rating-model properties left by an abandoned writeback
// of another run, in batches. Auto-commit only (CALL ... IN TRANSACTIONS); in Neo4j Browser prefix it
// with :auto.
// Parameters: $batchSize (INTEGER)
//   :param batchSize => 10000
MATCH (n)
WHERE (n:User OR n:Movie) AND n.stagedRunId IS NOT NULL
CALL (n) {
  REMOVE n.stagedEmbedding, n.stagedRatingBias, n.stagedRatingFactors, n.stagedRunId
} IN TRANSACTIONS OF $batchSize ROWS
