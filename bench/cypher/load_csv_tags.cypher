// movierec: bench load csv tags
// Peer for the ingest benchmark: tags.csv (userId,movieId,tag,timestamp) with LOAD CSV; idempotent.
// Parameters: $url (e.g. 'file:///tags.csv'), $batch (rows per transaction).
//   :param url => 'file:///tags.csv'
//   :param batch => 10000
LOAD CSV WITH HEADERS FROM $url AS row
CALL (row) {
  MERGE (u:User {userId: toInteger(row.userId)})
  WITH row, u
  MATCH (m:Movie {movieId: toInteger(row.movieId)})
  MERGE (u)-[t:TAGGED {tag: row.tag}]->(m)
  SET t.timestamp = datetime({epochSeconds: toInteger(row.timestamp)})
} IN TRANSACTIONS OF $batch ROWS
