// movierec: delete stale similar
// After a switch: deletes the SIMILAR relationships of every run but the active one (the replaced
// run, and leftovers of an abandoned writeback) in batches, like delete_stale_recommendations.
// Auto-commit only (CALL ... IN TRANSACTIONS); in Neo4j Browser prefix it with :auto.
// Parameters: $runId (STRING, the active run), $batchSize (INTEGER)
//   :param runId => 'example'
//   :param batchSize => 10000
MATCH ()-[s:SIMILAR]->()
WHERE s.runId <> $runId
CALL (s) {
  DELETE s
} IN TRANSACTIONS OF $batchSize ROWS
