// movierec: read rated pairs
// Every user's rated movies: the movies writeback must never recommend to them.
// One row per user with a list (far fewer records to decode than one row per rating).
// Parameters: none.
MATCH (u:User)
RETURN u.userId AS userId, COLLECT { MATCH (u)-[:RATED]->(m:Movie) RETURN m.movieId } AS movieIds
