// movierec: merge model run
// Records a model run being written back: creates (:ModelRun) inactive, or refreshes it on a rerun
// (keeping its createdAt and active flag). Returns whether it is already active. It also holds the
// run's rating model's global part: predict_rating computes ratingOffset + User.ratingBias +
// Movie.ratingBias + <User.ratingFactors, Movie.ratingFactors>, clamped to [ratingMin, ratingMax].
// ratingsReadAt is when the run's training data was read from the graph (its export; the writeback's own read
// for a run trained from a file), kept from the first writeback:
// ratings newer than it are what `movierec refresh` picks up; recommendedK is the top-K written.
// Parameters: $runId (STRING), $model (STRING), $params (STRING, JSON), $metrics (STRING, JSON),
//   $path (STRING, the run's folder, so that `movierec score` finds the model),
//   $ratingOffset, $ratingMin, $ratingMax (FLOAT), $ratingsReadAt (STRING, ISO 8601), $recommendedK (INTEGER)
//   :param runId => 'example'
//   :param model => 'lightgcn'
//   :param params => '{}'
//   :param metrics => '{}'
//   :param path => '/tmp/example'
//   :param ratingOffset => 3.5
//   :param ratingMin => 0.5
//   :param ratingMax => 5.0
//   :param ratingsReadAt => '2026-11-30T00:00:00Z'
//   :param recommendedK => 20
MERGE (r:ModelRun {runId: $runId})
  ON CREATE SET r.createdAt = datetime(), r.active = false, r.ratingsReadAt = datetime($ratingsReadAt)
SET r.recommendedK = $recommendedK, r.model = $model, r.params = $params, r.metrics = $metrics, r.path = $path,
    r.ratingOffset = $ratingOffset, r.ratingMin = $ratingMin, r.ratingMax = $ratingMax
RETURN r.active AS active
