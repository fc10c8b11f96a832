// movierec: bench load csv ratings
// Peer for the ingest benchmark: ratings.csv (userId,movieId,rating,timestamp) with LOAD CSV.
// One RATED per (user, movie), a re-rate replaces the value: idempotent, like movierec's merge_ratings.
// Parameters: $url (e.g. 'file:///ratings.csv'), $batch (rows per transaction).
//   :param url => 'file:///ratings.csv'
//   :param batch => 10000
LOAD CSV WITH HEADERS FROM $url AS row
CALL (row) {
  MERGE (u:User {userId: toInteger(row.userId)})
  WITH row, u
  MATCH (m:Movie {movieId: toInteger(row.movieId)})
  MERGE (u)-[r:RATED]->(m)
  SET r.rating = toFloat(row.rating), r.timestamp = datetime({epochSeconds: toInteger(row.timestamp)})
} IN TRANSACTIONS OF $batch ROWS
