// movierec: bench load csv movies
// Peer for the ingest benchmark: movies.csv (movieId,title,genres) with LOAD CSV, batched server-side.
// Movie {movieId, title without "(year)", year}, Genre {name}, IN_GENRE; idempotent (MERGE).
// Run in an auto-commit transaction (CALL { } IN TRANSACTIONS needs one).
// Parameters: $url (e.g. 'file:///movies.csv'), $batch (rows per transaction).
//   :param url => 'file:///movies.csv'
//   :param batch => 10000
LOAD CSV WITH HEADERS FROM $url AS row
CALL (row) {
  WITH row, trim(row.title) AS t
  WITH row, t, t =~ '.*\\(\\d{4}\\)$' AS hasYear
  MERGE (m:Movie {movieId: toInteger(row.movieId)})
  SET m.title = CASE WHEN hasYear THEN trim(substring(t, 0, size(t) - 6)) ELSE t END,
      m.year = CASE WHEN hasYear THEN toInteger(substring(t, size(t) - 5, 4)) ELSE null END
  WITH row, m
  UNWIND [g IN split(row.genres, '|') WHERE NOT g IN ['(no genres listed)', 'unknown', '']] AS name
  MERGE (g:Genre {name: name})
  MERGE (m)-[:IN_GENRE]->(g)
} IN TRANSACTIONS OF $batch ROWS
