// movierec: read pair
// Answers: for one user and movie, the movie's title, the user's rating of it (null if unrated) and
// its rank among the user's recommendations in the active run (null if not recommended).
// No row when the user or the movie does not exist.
// Parameters: $userId (INTEGER), $movieId (INTEGER)
//   :param userId => 1
//   :param movieId => 1
MATCH (u:User {userId: $userId}), (m:Movie {movieId: $movieId})
OPTIONAL MATCH (u)-[r:RATED]->(m)
OPTIONAL MATCH (run:ModelRun {active: true})
OPTIONAL MATCH (u)-[rec:RECOMMENDED]->(m)
WHERE rec.runId = run.runId
RETURN m.title AS title, r.rating AS rating, rec.rank AS rank
