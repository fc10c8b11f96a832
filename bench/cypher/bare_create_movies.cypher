// movierec: bench bare create movies
// Floor peer of the ingest benchmark: movies as bare nodes (movieId only), before its ratings.
// Parameters: $rows (LIST of {id: INTEGER})
//   :param rows => [{id: 1}, {id: 2}]
UNWIND $rows AS row
CREATE (:Movie {movieId: row.id})
