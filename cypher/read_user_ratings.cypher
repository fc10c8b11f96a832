// movierec: read user ratings
// Answers: what has each of these users rated, right now? (fold-in scoring reads it; `readAt`, the
// server's clock before the read, becomes User.refreshedAt, so that a rating landing after this read is
// picked up by the next refresh), and `version`, User.ratingsVersion as read with them (a write still in flight
// counts it up when it commits, so the next refresh sees the difference). Users without ratings come back with
// empty lists; unknown ids with none.
// Parameters: $userIds (LIST<INTEGER>)
//   :param userIds => [1, 2]
WITH datetime.transaction() AS readAt
UNWIND $userIds AS userId
MATCH (u:User {userId: userId})
RETURN u.userId AS userId, readAt, coalesce(u.ratingsVersion, 0) AS version,
       COLLECT { MATCH (u)-[r:RATED]->(m:Movie) RETURN m.movieId ORDER BY m.movieId } AS movieIds,
       COLLECT { MATCH (u)-[r:RATED]->(m:Movie) RETURN r.rating ORDER BY m.movieId } AS ratings
