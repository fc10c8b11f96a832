// movierec: rank movies for user
// Answers: which of these movies would a user like most? The user's predicted ratings by the ACTIVE
// run's rating model (the same numbers as predict_rating), best first, for
//   - the movies in $movieIds (e.g. a watch-list; rated ones included), when $genre is null, or
//   - every movie in $genre the user has not rated, when $genre is set ($movieIds is then ignored).
// Movies the active run does not cover are left out (predict_rating shows them, with a null rating);
// no rows for a user it does not cover, or when no run is active.
// Parameters:
//   $userId   (INTEGER)              the user's userId
//   $movieIds (LIST<INTEGER>|NULL)   the movies to rank (used when $genre is null)
//   $genre    (STRING|NULL)          rank every unrated movie of this genre instead, or null
//   $k        (INTEGER)              how many, best first
// In Neo4j Browser set them first:
//   :param userId => 1
//   :param movieIds => [1, 1721, 2571, 318, 4993]
//   :param genre => null
//   :param k => 10
MATCH (run:ModelRun {active: true})
MATCH (u:User {userId: toInteger($userId)})
WHERE u.ratingBias IS NOT NULL
CALL (u) {
  UNWIND CASE WHEN $genre IS NULL THEN coalesce($movieIds, []) ELSE [] END AS movieId
  MATCH (m:Movie {movieId: toInteger(movieId)})
  RETURN m
  UNION
  MATCH (:Genre {name: $genre})<-[:IN_GENRE]-(m:Movie)
  WHERE NOT EXISTS { (u)-[:RATED]->(m) }
  RETURN m
}
WITH run, u.ratingBias AS ub, u.ratingFactors AS uf, m, m.ratingFactors AS mf
WHERE m.ratingBias IS NOT NULL AND size(mf) = size(uf)
WITH run, m, run.ratingOffset + ub + m.ratingBias + reduce(s = 0.0, j IN range(0, size(uf) - 1) | s + uf[j] * mf[j])
     AS raw
RETURN m.movieId AS movieId, m.title AS title, m.year AS year,
       COLLECT { MATCH (m)-[:IN_GENRE]->(g:Genre) RETURN g.name ORDER BY g.name } AS genres,
       CASE WHEN raw < run.ratingMin THEN run.ratingMin WHEN raw > run.ratingMax THEN run.ratingMax ELSE raw END
         AS predictedRating,
       run.runId AS runId
ORDER BY predictedRating DESC, movieId
LIMIT toInteger($k)
