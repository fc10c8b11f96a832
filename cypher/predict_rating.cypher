// movierec: predict rating
// Answers: what would a user rate each of these movies? The ACTIVE model run's rating model, in pure
// Cypher, for any (user, movie) pair, not only the recommended ones: the run's ratingOffset + the user's
// ratingBias + the movie's ratingBias + the dot product of their ratingFactors, clamped to the run's
// [ratingMin, ratingMax]: the predicted rating `movierec score` gives (Python) for the same pair. A user
// `movierec refresh` rewrote carries a fold-in rating model fitted on their current ratings instead (new
// users included), so for them the answer follows their latest ratings rather than the run directory's.
// One row per entry of $movieIds, in their order. predictedRating is null, not left out, when the
// active run does not cover the user or the movie (not in the data it was trained on and not refreshed
// since), when either is not in the graph (then title is null too) or when no run is active.
// Parameters:
//   $userId   (INTEGER)        the user's userId
//   $movieIds (LIST<INTEGER>)  the movies' movieIds (tens of them: the dot product is a reduce())
// (Each factor list is read once into a variable: indexing the property inside reduce() would
// read it again for every element, 8x slower.)
// In Neo4j Browser set them first:
//   :param userId => 1
//   :param movieIds => [1, 1721, 2571]
OPTIONAL MATCH (run:ModelRun {active: true})
OPTIONAL MATCH (u:User {userId: toInteger($userId)})
WITH run, u.ratingBias AS ub, u.ratingFactors AS uf
UNWIND range(0, size($movieIds) - 1) AS i
WITH run, ub, uf, i, toInteger($movieIds[i]) AS movieId
OPTIONAL MATCH (m:Movie {movieId: movieId})
WITH run, ub, uf, i, movieId, m, m.ratingFactors AS mf
WITH run, i, movieId, m,
     CASE WHEN run.ratingOffset IS NULL OR ub IS NULL OR m.ratingBias IS NULL OR size(uf) <> size(mf) THEN null
          ELSE run.ratingOffset + ub + m.ratingBias + reduce(s = 0.0, j IN range(0, size(uf) - 1) | s + uf[j] * mf[j])
     END AS raw
RETURN movieId, m.title AS title,
       CASE WHEN raw < run.ratingMin THEN run.ratingMin WHEN raw > run.ratingMax THEN run.ratingMax ELSE raw END
         AS predictedRating,
       run.runId AS runId
ORDER BY i
