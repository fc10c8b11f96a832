// movierec: read similar written movies
// The movies that already hold a run's SIMILAR relationships (each movie's are written in one
// transaction, so a movie has all of them or none): a rerun of the writeback skips them.
// Parameters: $runId (STRING)
//   :param runId => 'example'
MATCH (m:Movie)-[s:SIMILAR]->()
WHERE s.runId = $runId
RETURN DISTINCT m.movieId AS movieId
