// movierec: bench load csv links
// Peer for the ingest benchmark: links.csv (movieId,imdbId,tmdbId) onto existing movies, with LOAD CSV.
// Parameters: $url (e.g. 'file:///links.csv'), $batch (rows per transaction).
//   :param url => 'file:///links.csv'
//   :param batch => 10000
LOAD CSV WITH HEADERS FROM $url AS row
CALL (row) {
  MATCH (m:Movie {movieId: toInteger(row.movieId)})
  SET m.imdbId = toInteger(row.imdbId), m.tmdbId = toInteger(row.tmdbId)
} IN TRANSACTIONS OF $batch ROWS
