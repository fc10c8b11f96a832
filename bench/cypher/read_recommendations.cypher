// movierec: bench read recommendations
// The writeback peer's input: the RECOMMENDED rows of one run, as movierec wrote them.
// Parameters: $runId (STRING).
//   :param runId => '20261128-233000-lightgcn'
MATCH (u:User)-[r:RECOMMENDED {runId: $runId}]->(m:Movie)
RETURN u.userId AS userId, m.movieId AS movieId, r.score AS score, r.rank AS rank
