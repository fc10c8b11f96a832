// bench: bare CREATE of ratings (the floor peer of the ingest stage): one MATCH user, one MATCH movie
// (unique-index seeks) and one CREATE per rating; nothing checked, nothing locked, not idempotent.
// Parameters: $rows (LIST of {u: INTEGER, m: INTEGER, r: FLOAT, t: INTEGER epoch seconds})
UNWIND $rows AS row
MATCH (u:User {userId: row.u})
MATCH (m:Movie {movieId: row.m})
CREATE (u)-[:RATED {rating: row.r, timestamp: datetime({epochSeconds: row.t})}]->(m)
