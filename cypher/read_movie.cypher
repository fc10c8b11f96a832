// movierec: read movie
// Answers: does a movie exist, and does it have an embedding? No row when it does not exist.
// Parameters: $movieId (INTEGER)
//   :param movieId => 1
MATCH (m:Movie {movieId: $movieId})
RETURN m.movieId AS movieId, m.title AS title, m.year AS year, m.embedding IS NOT NULL AS embedded,
       COUNT { (m)<-[:RATED]-() } AS ratings
