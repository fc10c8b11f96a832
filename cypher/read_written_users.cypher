// movierec: read written users
// The users that already hold a run's recommendations (each user's are written in one transaction,
// so a user either has all of them or none): a rerun after a crash skips them.
// Parameters: $runId (STRING)
//   :param runId => 'example'
MATCH (u:User)-[r:RECOMMENDED]->()
WHERE r.runId = $runId
RETURN DISTINCT u.userId AS userId
