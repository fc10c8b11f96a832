// movierec: bench read similar
// The writeback peer's input: the SIMILAR rows of one run, as movierec wrote them.
// Parameters: $runId (STRING).
//   :param runId => '20261128-233000-lightgcn'
MATCH (a:Movie)-[r:SIMILAR {runId: $runId}]->(b:Movie)
RETURN a.movieId AS movieId, b.movieId AS otherId, r.score AS score, r.rank AS rank
