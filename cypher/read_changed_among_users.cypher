// movierec: read changed among users
// Answers: which of these users does `movierec refresh --users` rewrite? The rule of read_changed_users
// (no RECOMMENDED of the active run, a new ratingsVersion since their last refresh, ratingsChangedAt or a rating
// timestamp since the run's data was read), for the given users only; users without ratings and unknown ids are
// left out.
// Parameters: $userIds (LIST<INTEGER>)
//   :param userIds => [1, 2, 3]
MATCH (run:ModelRun {active: true})
WITH run, coalesce(run.ratingsReadAt, run.createdAt) AS readAt
UNWIND $userIds AS userId
MATCH (u:User {userId: userId})
WHERE EXISTS { (u)-[:RATED]->() }
WITH run, readAt, u, coalesce(u.refreshedRunId = run.runId, false) AS refreshed
WITH run, readAt, u, refreshed, CASE WHEN refreshed THEN u.refreshedAt ELSE readAt END AS since
WHERE NOT EXISTS { (u)-[:RECOMMENDED {runId: run.runId}]->() }
   OR (refreshed AND coalesce(u.ratingsVersion, 0) <> coalesce(u.refreshedVersion, 0))
   OR (NOT refreshed AND coalesce(u.ratingsChangedAt, -1) >= readAt.epochMillis)
   OR EXISTS { (u)-[r:RATED]->() WHERE r.timestamp >= since }
RETURN u.userId AS userId
ORDER BY userId
