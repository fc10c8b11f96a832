// movierec: merge model run
// Records a model run being written back: creates (:ModelRun) inactive, or refreshes it on a rerun
// (keeping its createdAt and active flag). Returns whether it is already active.
// Parameters: $runId (STRING), $model (STRING), $params (STRING, JSON), $metrics (STRING, JSON),
//   $path (STRING, the run's folder, so that `movierec score` finds the model)
//   :param runId => 'example'
//   :param model => 'lightgcn'
//   :param params => '{}'
//   :param metrics => '{}'
//   :param path => '/tmp/example'
MERGE (r:ModelRun {runId: $runId})
  ON CREATE SET r.createdAt = datetime(), r.active = false
SET r.model = $model, r.params = $params, r.metrics = $metrics, r.path = $path
RETURN r.active AS active
