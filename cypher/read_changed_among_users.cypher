// movierec: read changed among users
// Answers: which of these users does `movierec refresh --users` rewrite? The rule of read_changed_users
// (ratings at or after the last read of the user's ratings for the active run, ratingsChangedAt, or no
// RECOMMENDED at all), for the given users only; users without ratings and unknown ids are left out.
// Parameters: $userIds (LIST<INTEGER>)
//   :param userIds => [1, 2, 3]
MATCH (run:ModelRun {active: true})
WITH run, coalesce(run.ratingsReadAt, run.createdAt) AS readAt
UNWIND $userIds AS userId
MATCH (u:User {userId: userId})
WHERE EXISTS { (u)-[:RATED]->() }
WITH run, u, CASE WHEN u.refreshedRunId = run.runId THEN u.refreshedAt ELSE readAt END AS since
WHERE NOT EXISTS { (u)-[:RECOMMENDED {runId: run.runId}]->() }
   OR coalesce(u.ratingsChangedAt, -1) >= since.epochMillis
   OR EXISTS { (u)-[r:RATED]->() WHERE r.timestamp >= since }
RETURN u.userId AS userId
ORDER BY userId
