// movierec: merge tags
// Creates or updates tags: one TAGGED per (user, movie, tag text), with the tag's timestamp. Idempotent.
// Each user node is write-locked before its tags are looked at (SET then REMOVE of a dummy property: the lock
// is held until the transaction ends, and no property is left), so a concurrent transaction tagging as the
// same user (another ingest) waits for this one to commit and then sees its tags: two ingests at once never
// duplicate TAGGED. Users are locked in userId order, then movies in
// movieId order, the same order in every transaction, so concurrent batches do not deadlock.
// A user without tags yet gets plain CREATEs (a fresh load); a user holding tags goes through MERGE + SET.
// Users and movies must exist (merge_users, merge_movies run first).
// Parameters: $rows, a list of {userId: INTEGER, movieId: INTEGER, tag: STRING, ts: INTEGER (epoch seconds)}.
//   :param rows => [{userId: 2, movieId: 60756, tag: 'funny', ts: 1445714994}]
UNWIND $rows AS row
WITH row ORDER BY row.userId
MATCH (u:User {userId: row.userId})
SET u._LOCK_ = true REMOVE u._LOCK_
WITH u, row, EXISTS { (u)-[:TAGGED]->() } AS seen
MATCH (m:Movie {movieId: row.movieId})
WITH u, m, row, seen
ORDER BY row.movieId, row.userId  // one lock order for concurrent batches
CALL (u, m, row, seen) {
  WITH * WHERE NOT seen
  CREATE (u)-[:TAGGED {tag: row.tag, timestamp: datetime({epochSeconds: row.ts})}]->(m)
}
CALL (u, m, row, seen) {
  WITH * WHERE seen
  MERGE (u)-[t:TAGGED {tag: row.tag}]->(m)
  SET t.timestamp = datetime({epochSeconds: row.ts})
}
