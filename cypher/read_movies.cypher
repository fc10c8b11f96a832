// movierec: read movies
// Answers: title, year and genres of these movies, in the order given (unknown ids are left out).
// Parameters: $movieIds (LIST<INTEGER>)
//   :param movieIds => [1, 2571]
UNWIND range(0, size($movieIds) - 1) AS i
MATCH (m:Movie {movieId: $movieIds[i]})
RETURN m.movieId AS movieId, m.title AS title, m.year AS year,
       COLLECT { MATCH (m)-[:IN_GENRE]->(g:Genre) RETURN g.name ORDER BY g.name } AS genres
ORDER BY i
