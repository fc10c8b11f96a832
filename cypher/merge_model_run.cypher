// movierec: merge model run
// Records a model run being written back: creates (:ModelRun) inactive, or refreshes it on a rerun
// (keeping its createdAt and active flag). Returns whether it is already active. It also holds the
// run's rating model's global part: predict_rating computes ratingOffset + User.ratingBias +
// Movie.ratingBias + <User.ratingFactors, Movie.ratingFactors>, clamped to [ratingMin, ratingMax].
// Parameters: $runId (STRING), $model (STRING), $params (STRING, JSON), $metrics (STRING, JSON),
//   $path (STRING, the run's folder, so that `movierec score` finds the model),
//   $ratingOffset, $ratingMin, $ratingMax (FLOAT)
//   :param runId => 'example'
//   :param model => 'lightgcn'
//   :param params => '{}'
//   :param metrics => '{}'
//   :param path => '/tmp/example'
//   :param ratingOffset => 3.5
//   :param ratingMin => 0.5
//   :param ratingMax => 5.0
MERGE (r:ModelRun {runId: $runId})
  ON CREATE SET r.createdAt = datetime(), r.active = false
SET r.model = $model, r.params = $params, r.metrics = $metrics, r.path = $path,
    r.ratingOffset = $ratingOffset, r.ratingMin = $ratingMin, r.ratingMax = $ratingMax
RETURN r.active AS active
