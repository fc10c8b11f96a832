// movierec: read node ids
// The userIds and movieIds present in the graph (writeback skips a run's ids that are not).
// Parameters: none.
RETURN COLLECT { MATCH (u:User) RETURN u.userId } AS userIds,
       COLLECT { MATCH (m:Movie) RETURN m.movieId } AS movieIds
