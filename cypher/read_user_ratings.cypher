// movierec: read user ratings
// Answers: what has each of these users rated, right now? (fold-in scoring reads it; `readAt`, the
// server's clock before the read, becomes User.refreshedAt, so that a rating landing after this read is
// picked up by the next refresh). Users without ratings come back with empty lists; unknown ids with none.
// Parameters: $userIds (LIST<INTEGER>)
//   :param userIds => [1, 2]
WITH datetime.transaction() AS readAt
UNWIND $userIds AS userId
MATCH (u:User {userId: userId})
RETURN u.userId AS userId, readAt,
       COLLECT { MATCH (u)-[r:RATED]->(m:Movie) RETURN m.movieId ORDER BY m.movieId } AS movieIds,
       COLLECT { MATCH (u)-[r:RATED]->(m:Movie) RETURN r.rating ORDER BY m.movieId } AS ratings
