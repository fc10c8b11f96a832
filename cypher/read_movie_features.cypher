// movierec: read movie features
// The PyG remote backend's feature store (gnn/data/remote/stores.py): year and genre names of the given movies, which it
// encodes as the export does (genre multi-hot, normalised year, "year unknown" flag). Unknown ids return no row.
// Parameters: $movieIds (LIST<INTEGER>)
//   :param movieIds => [1, 2]
UNWIND $movieIds AS movieId
MATCH (m:Movie {movieId: movieId})
RETURN movieId, m.year AS year, [(m)-[:IN_GENRE]->(g:Genre) | g.name] AS genres
