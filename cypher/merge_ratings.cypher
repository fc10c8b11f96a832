// movierec: merge ratings
// Creates or updates one user's ratings: one RATED per (user, movie); a re-rate replaces rating and timestamp.
// A user with no RATED yet gets plain CREATEs (a fresh load: nothing to match, no duplicates possible since
// each batch commits whole); a user already holding ratings goes through MERGE + SET. Idempotent either way.
// Relationships are created in movieId order: concurrent batches (ingest's workers) then lock the shared
// Movie nodes in one global order and cannot deadlock on them (they did, often, in file order).
// Users and movies must exist (merge_users, merge_movies run first).
// Parameters: $rows, a list of {userId: INTEGER, movieIds: LIST<INTEGER>, ratings: LIST<FLOAT>,
//   ts: LIST<INTEGER> (epoch seconds)}, the three lists of equal length.
//   :param rows => [{userId: 1, movieIds: [1, 3], ratings: [4.0, 4.5], ts: [964982703, 964981247]}]
UNWIND $rows AS row
MATCH (u:User {userId: row.userId})
WITH u, row, EXISTS { (u)-[:RATED]->() } AS seen
UNWIND range(0, size(row.movieIds) - 1) AS i
WITH u, seen, row.movieIds[i] AS movieId, row.ratings[i] AS rating, row.ts[i] AS ts
ORDER BY movieId
MATCH (m:Movie {movieId: movieId})
CALL (u, m, seen, rating, ts) {
  WITH * WHERE NOT seen
  CREATE (u)-[:RATED {rating: rating, timestamp: datetime({epochSeconds: ts})}]->(m)
}
CALL (u, m, seen, rating, ts) {
  WITH * WHERE seen
  MERGE (u)-[r:RATED]->(m)
  SET r.rating = rating, r.timestamp = datetime({epochSeconds: ts})
}
