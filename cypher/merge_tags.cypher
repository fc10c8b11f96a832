// Creates or updates tags: one TAGGED per (user, movie, tag text), with the tag's timestamp. Idempotent.
// Users and movies must exist (merge_users, merge_movies run first).
// Parameters: $rows, a list of {userId: INTEGER, movieId: INTEGER, tag: STRING, ts: INTEGER (epoch seconds)}.
//   :param rows => [{userId: 2, movieId: 60756, tag: 'funny', ts: 1445714994}]
UNWIND $rows AS row
WITH row ORDER BY row.movieId, row.userId  // one lock order for concurrent batches
MATCH (u:User {userId: row.userId})
MATCH (m:Movie {movieId: row.movieId})
MERGE (u)-[t:TAGGED {tag: row.tag}]->(m)
SET t.timestamp = datetime({epochSeconds: row.ts})
