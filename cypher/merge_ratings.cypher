// movierec: merge ratings
// Creates or updates users' ratings: one RATED per (user, movie); a re-rate replaces rating and timestamp.
// Each user node is write-locked before its ratings are looked at (SET then REMOVE of a dummy property: the
// lock is held until the transaction ends, and no property is left), so a concurrent transaction writing the
// same user (another ingest, `movierec rate`) waits for this one to commit and then sees its ratings: two
// ingests at once never duplicate RATED. Users are locked in userId order, then movies in movieId order (they
// did deadlock, often, in file order): the same order in every transaction.
// A user with no RATED yet gets plain CREATEs (a fresh load: nothing to match); for a user already holding
// ratings, only the ratings that are new or differ go through MERGE + SET. Idempotent either way.
// u.ratingsChangedAt (INTEGER, epoch milliseconds: timestamp()) is set on every user of whom a rating is created
// or changed here, and left alone when the row repeats what is stored; `movierec refresh` reads it, and
// u.ratingsVersion (INTEGER), counted up under the same lock: refresh compares it with the version it last read.
// Users and movies must exist (merge_users, merge_movies run first).
// Parameters: $rows, a list of {userId: INTEGER, movieIds: LIST<INTEGER>, ratings: LIST<FLOAT>,
//   ts: LIST<INTEGER> (epoch seconds)}, the three lists of equal length, at most one row per user.
//   :param rows => [{userId: 1, movieIds: [1, 3], ratings: [4.0, 4.5], ts: [964982703, 964981247]}]
UNWIND $rows AS row
WITH row ORDER BY row.userId
MATCH (u:User {userId: row.userId})
SET u._LOCK_ = true REMOVE u._LOCK_
WITH u, row, EXISTS { (u)-[:RATED]->() } AS seen
CALL (u, row, seen) {
  WITH * WHERE seen
  UNWIND range(0, size(row.movieIds) - 1) AS i
  MATCH (m:Movie {movieId: row.movieIds[i]})
  OPTIONAL MATCH (u)-[old:RATED]->(m)
  WITH i, old WHERE old IS NULL OR old.rating <> row.ratings[i]
    OR old.timestamp <> datetime({epochSeconds: row.ts[i]})
  RETURN collect(i) AS differing
}
WITH u, row, seen, CASE WHEN seen THEN differing ELSE range(0, size(row.movieIds) - 1) END AS todo
SET u.ratingsChangedAt = CASE WHEN size(todo) > 0 THEN timestamp() ELSE u.ratingsChangedAt END,
    u.ratingsVersion = CASE WHEN size(todo) > 0 THEN coalesce(u.ratingsVersion, 0) + 1 ELSE u.ratingsVersion END
WITH u, row, seen, todo
UNWIND todo AS i
WITH u, seen, row.movieIds[i] AS movieId, row.ratings[i] AS rating, datetime({epochSeconds: row.ts[i]}) AS ts
ORDER BY movieId
MATCH (m:Movie {movieId: movieId})
CALL (u, m, seen, rating, ts) {
  WITH * WHERE NOT seen
  CREATE (u)-[:RATED {rating: rating, timestamp: ts}]->(m)
}
CALL (u, m, seen, rating, ts) {
  WITH * WHERE seen
  MERGE (u)-[r:RATED]->(m)
  SET r.rating = rating, r.timestamp = ts
}
