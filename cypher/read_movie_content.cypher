// movierec: read movie content
// Answers: what are these movies' genres and years? (the content the fold-in of a new movie compares with: the
// active run's movies, gnn/serving/movie_foldin.py's Catalogue). Unknown ids come back with nothing.
// Parameters: $movieIds (LIST<INTEGER>)
//   :param movieIds => [1, 2]
UNWIND $movieIds AS movieId
MATCH (m:Movie {movieId: movieId})
RETURN m.movieId AS movieId, m.year AS year,
       COLLECT { MATCH (m)-[:IN_GENRE]->(g:Genre) RETURN g.name } AS genres
