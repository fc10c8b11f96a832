// movierec: delete stale recommendations
// After a switch: deletes the RECOMMENDED relationships of every run but the active one (the
// replaced run, and leftovers of an abandoned writeback) in batches. Auto-commit only
// (CALL ... IN TRANSACTIONS); in Neo4j Browser prefix it with :auto.
// Parameters: $runId (STRING, the active run), $batchSize (INTEGER)
//   :param runId => 'example'
//   :param batchSize => 10000
MATCH ()-[r:RECOMMENDED]->()
WHERE r.runId <> $runId
CALL (r) {
  DELETE r
} IN TRANSACTIONS OF $batchSize ROWS
