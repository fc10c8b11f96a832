// movierec: mark similar written
// Records on a run's ModelRun that all its SIMILAR relationships are written (similarK: neighbours
// per movie), before the switch. `movierec similar` reads the SIMILAR relationships of an active run
// that has it, and falls back to the embedding index for older runs that do not.
// Parameters: $runId (STRING), $k (INTEGER)
//   :param runId => 'example'
//   :param k => 20
MATCH (r:ModelRun {runId: $runId})
SET r.similarK = toInteger($k)
