// bench: bare CREATE of movies (the floor peer of the ingest stage)
// Parameters: $rows (LIST of {id: INTEGER})
UNWIND $rows AS row
CREATE (:Movie {movieId: row.id})
