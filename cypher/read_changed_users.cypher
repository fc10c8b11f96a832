// movierec: read changed users
// Answers: whose recommendations are out of date under the ACTIVE run? (what `movierec refresh` rewrites)
// A user with at least one rating is changed when any of these holds, with `since` the moment the user's
// ratings were last read for the active run: their last refresh under it (User.refreshedAt, when
// User.refreshedRunId is the active run), else when the writeback read the graph's ratings
// (ModelRun.ratingsReadAt, or createdAt for runs written before it existed):
//   1. a RATED whose timestamp is at or after `since` (a new rating, by `movierec rate` or plain Cypher);
//   2. User.ratingsChangedAt (epoch ms, set by ingest and `movierec rate` on every user whose ratings they
//      create or change, whatever the ratings' own timestamps) at or after `since`: ratings loaded with
//      timestamps in the past are caught by this rule, not by 1;
//   3. the user holds no RECOMMENDED at all (a new user, or one the run did not cover).
// Plain Cypher that writes a rating with a past timestamp and no ratingsChangedAt is not detected: set
// u.ratingsChangedAt = timestamp() with it, or name the user with `refresh --users`.
// read_changed_among_users applies the same rule to given users.
// Parameters: none.
MATCH (run:ModelRun {active: true})
WITH run, coalesce(run.ratingsReadAt, run.createdAt) AS readAt
CALL (run, readAt) {
  MATCH (u:User)-[r:RATED]->()
  WHERE r.timestamp >= readAt
  RETURN u
  UNION
  MATCH (u:User)
  WHERE u.ratingsChangedAt >= readAt.epochMillis
  RETURN u
  UNION
  MATCH (u:User)
  WHERE NOT EXISTS { (u)-[:RECOMMENDED]->() }
  RETURN u
}
WITH run, readAt, u
WHERE EXISTS { (u)-[:RATED]->() }
WITH run, u, CASE WHEN u.refreshedRunId = run.runId THEN u.refreshedAt ELSE readAt END AS since
WHERE NOT EXISTS { (u)-[:RECOMMENDED {runId: run.runId}]->() }
   OR coalesce(u.ratingsChangedAt, -1) >= since.epochMillis
   OR EXISTS { (u)-[r:RATED]->() WHERE r.timestamp >= since }
RETURN u.userId AS userId
ORDER BY userId
