// movierec: delete run writes
// Deletes the RECOMMENDED and SIMILAR relationships of one run that is not active, in batches. A writeback
// does this for its own run when another run became active while it ran: that run's cleanup deleted part of
// this run's relationships, so the rest go too and running the writeback again starts from nothing (exact).
// Auto-commit only (CALL ... IN TRANSACTIONS); in Neo4j Browser prefix each statement with :auto.
// Parameters: $runId (STRING, never the active run), $batchSize (INTEGER)
//   :param runId => 'example'
//   :param batchSize => 10000
MATCH ()-[r:RECOMMENDED]->()
WHERE r.runId = $runId AND NOT EXISTS { MATCH (:ModelRun {runId: $runId, active: true}) }
CALL (r) {
  DELETE r
} IN TRANSACTIONS OF $batchSize ROWS;
MATCH ()-[s:SIMILAR]->()
WHERE s.runId = $runId AND NOT EXISTS { MATCH (:ModelRun {runId: $runId, active: true}) }
CALL (s) {
  DELETE s
} IN TRANSACTIONS OF $batchSize ROWS
