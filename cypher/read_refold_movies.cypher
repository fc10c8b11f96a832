// movierec: read refold movies
// Answers: which movies that `movierec refresh` folded into run $runId (write_folded_movies.cypher) have gathered
// enough ratings since to be folded again? A movie folded with n ratings (foldedRatingsAll) is folded again once it
// has at least max(2n, n + 3): a handful of times over its life (0 → 3 → 6 → 12 → 24 ...), each fold from more
// evidence. Same columns as read_new_movies.cypher, plus foldedWith (n), which the write checks. movieId order.
// Parameters: $runId (STRING), $limit (INTEGER, at most this many)
//   :param runId => 'example'
//   :param limit => 1000
MATCH (m:Movie)
WHERE m.foldedRunId = $runId
WITH m, coalesce(m.foldedRatingsAll, 0) AS n, COUNT { (:User)-[:RATED]->(m) } AS now
WHERE now >= n * 2 AND now >= n + 3
WITH m, n ORDER BY m.movieId LIMIT toInteger($limit)
RETURN m.movieId AS movieId, m.title AS title, m.year AS year, n AS foldedWith,
       COLLECT { MATCH (m)-[:IN_GENRE]->(g:Genre) RETURN g.name ORDER BY g.name } AS genres,
       COLLECT { MATCH (u:User)-[:RATED]->(m) RETURN u.userId ORDER BY u.userId } AS userIds,
       COLLECT { MATCH (u:User)-[r:RATED]->(m) RETURN r.rating ORDER BY u.userId } AS ratings
