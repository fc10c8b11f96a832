// movierec: read changed users
// Answers: whose recommendations are out of date under the ACTIVE run? (what `movierec refresh` rewrites)
// A user with at least one rating is changed when any of these holds:
//   1. they hold none of the active run's RECOMMENDED (a new user, or one the run did not cover);
//   2. refreshed under the active run (User.refreshedRunId): User.ratingsVersion, counted up by ingest and
//      `movierec rate` under the user's lock, differs from the version that refresh read (refreshedVersion).
//      A write still in flight during the refresh's read commits a new version, so it is never lost;
//   3. not refreshed under it: User.ratingsChangedAt (epoch ms, set by the same writers whatever the ratings'
//      own timestamps) is at or after the moment the run's training data was read from the graph
//      (ModelRun.ratingsReadAt; createdAt for runs written before it existed);
//   4. a RATED whose timestamp is at or after that moment, or after their last refresh's read (plain Cypher that
//      writes ratings with datetime() and no version is caught by this rule).
// Plain Cypher that writes a rating with a past timestamp and touches neither ratingsVersion nor
// ratingsChangedAt is not detected: set them as the README's snippet does, or use `refresh --users ID --force`.
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
  WHERE NOT EXISTS { (u)-[:RECOMMENDED {runId: run.runId}]->() }
     OR (u.refreshedRunId = run.runId AND coalesce(u.ratingsVersion, 0) <> coalesce(u.refreshedVersion, 0))
  RETURN u
}
WITH run, readAt, u
WHERE EXISTS { (u)-[:RATED]->() }
WITH run, readAt, u, coalesce(u.refreshedRunId = run.runId, false) AS refreshed
WITH run, readAt, u, refreshed, CASE WHEN refreshed THEN u.refreshedAt ELSE readAt END AS since
WHERE NOT EXISTS { (u)-[:RECOMMENDED {runId: run.runId}]->() }
   OR (refreshed AND coalesce(u.ratingsVersion, 0) <> coalesce(u.refreshedVersion, 0))
   OR (NOT refreshed AND coalesce(u.ratingsChangedAt, -1) >= readAt.epochMillis)
   OR EXISTS { (u)-[r:RATED]->() WHERE r.timestamp >= since }
RETURN u.userId AS userId
ORDER BY userId
