// Creates or updates ratings: one RATED per (user, movie); a re-rate replaces rating and timestamp.
// Users and movies must exist (merge_users, merge_movies run first). Idempotent.
// Parameters: $rows, a list of {userId: INTEGER, movieId: INTEGER, rating: FLOAT, ts: INTEGER (epoch seconds)}.
//   :param rows => [{userId: 1, movieId: 1, rating: 4.0, ts: 964982703}]
UNWIND $rows AS row
MATCH (u:User {userId: row.userId})
MATCH (m:Movie {movieId: row.movieId})
MERGE (u)-[r:RATED]->(m)
SET r.rating = row.rating,
    r.timestamp = datetime({epochSeconds: row.ts})
