// movierec: read active run
// Answers: which model run do the queries read? No row when none is active.
// Parameters: none.
MATCH (r:ModelRun {active: true})
RETURN r.runId AS runId, r.model AS model, r.path AS path, r.createdAt AS createdAt, r.metrics AS metrics,
       r.similarK AS similarK, r.ratingsReadAt AS ratingsReadAt, r.recommendedK AS recommendedK,
       coalesce(r.foldedMovies, 0) AS foldedMovies
