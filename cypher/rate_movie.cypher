// movierec: rate movie
// Writes one rating the way ingest does: one RATED per (user, movie), a re-rate replaces rating and timestamp.
// The timestamp is now (datetime()), and u.ratingsChangedAt the same instant in epoch milliseconds (timestamp(),
// an INTEGER), and u.ratingsVersion counted up, which `movierec refresh` reads to find users whose ratings
// changed. A new userId creates the
// User. The user node is write-locked (by that SET) before its rating is looked at, as merge_ratings does.
// No row, and nothing written, when the movie does not exist. The rating must be 0.5 to 5 in half stars, as in
// MovieLens: `movierec rate` checks it (movierec.ingest.rate); this query stores what it is given, as a FLOAT.
// Parameters: $userId (INTEGER), $movieId (INTEGER), $rating (FLOAT)
//   :param userId => 1001
//   :param movieId => 1
//   :param rating => 4.5
MATCH (m:Movie {movieId: $movieId})
OPTIONAL MATCH (known:User {userId: $userId})
MERGE (u:User {userId: $userId})
SET u.ratingsChangedAt = timestamp(), u.ratingsVersion = coalesce(u.ratingsVersion, 0) + 1
WITH u, m, known IS NULL AS newUser, [(u)-[old:RATED]->(m) | old.rating][0] AS previous
MERGE (u)-[r:RATED]->(m)
SET r.rating = toFloat($rating), r.timestamp = datetime()
RETURN u.userId AS userId, m.movieId AS movieId, m.title AS title, m.year AS year, r.rating AS rating,
       previous, newUser, r.timestamp AS timestamp, u.ratingsChangedAt AS ratingsChangedAt
