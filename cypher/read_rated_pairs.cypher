// movierec: read rated pairs
// Every (user, movie) pair with a RATED relationship: the movies writeback must never recommend.
// Parameters: none.
MATCH (u:User)-[:RATED]->(m:Movie)
RETURN u.userId AS userId, m.movieId AS movieId
