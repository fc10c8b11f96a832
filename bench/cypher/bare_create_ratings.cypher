// movierec: bench bare create ratings
// Floor peer of the ingest benchmark: one MATCH user, one MATCH movie (unique-index seeks) and one CREATE per
// rating; nothing validated, nothing locked, not idempotent. What the server takes to create RATED online.
// Parameters: $rows (LIST of {u: INTEGER userId, m: INTEGER movieId, r: FLOAT rating, t: INTEGER epoch seconds})
//   :param rows => [{u: 1, m: 1, r: 4.0, t: 964982703}]
UNWIND $rows AS row
MATCH (u:User {userId: row.u})
MATCH (m:Movie {movieId: row.m})
CREATE (u)-[:RATED {rating: row.r, timestamp: datetime({epochSeconds: row.t})}]->(m)
