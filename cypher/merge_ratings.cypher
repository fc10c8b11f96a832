// Creates or updates one user's ratings: one RATED per (user, movie); a re-rate replaces rating and timestamp.
// A user with no RATED yet gets plain CREATEs (a fresh load: nothing to match, no duplicates possible since
// each batch commits whole); a user already holding ratings goes through MERGE + SET. Idempotent either way.
// Users and movies must exist (merge_users, merge_movies run first).
// Parameters: $rows, a list of {userId: INTEGER, movieIds: LIST<INTEGER>, ratings: LIST<FLOAT>,
//   ts: LIST<INTEGER> (epoch seconds)}, the three lists of equal length.
//   :param rows => [{userId: 1, movieIds: [1, 3], ratings: [4.0, 4.5], ts: [964982703, 964981247]}]
UNWIND $rows AS row
MATCH (u:User {userId: row.userId})
WITH u, row, EXISTS { (u)-[:RATED]->() } AS seen
CALL (u, row, seen) {
  WITH * WHERE NOT seen
  UNWIND range(0, size(row.movieIds) - 1) AS i
  MATCH (m:Movie {movieId: row.movieIds[i]})
  CREATE (u)-[:RATED {rating: row.ratings[i], timestamp: datetime({epochSeconds: row.ts[i]})}]->(m)
}
CALL (u, row, seen) {
  WITH * WHERE seen
  UNWIND range(0, size(row.movieIds) - 1) AS i
  MATCH (m:Movie {movieId: row.movieIds[i]})
  MERGE (u)-[r:RATED]->(m)
  SET r.rating = row.ratings[i], r.timestamp = datetime({epochSeconds: row.ts[i]})
}
