// movierec: read users rated since
// Users whose ratings may have changed since $since: a RATED timestamp at or after it, or User.ratingsChangedAt
// (epoch milliseconds; set by ingest and `movierec rate` whenever they create or change a rating, whatever
// timestamp the rating carries) at or after it. Both are indexed (create_writeback_indexes). The writeback reads
// these users' ratings again instead of every rating of the graph (gnn/rated.py).
// Parameters: $since (STRING, ISO 8601 datetime: the run's export time, ModelRun.ratingsReadAt)
//   :param since => '2026-11-30T00:00:00Z'
WITH datetime($since) AS since
MATCH (u:User)-[r:RATED]->()
WHERE r.timestamp >= since
RETURN DISTINCT u.userId AS userId
UNION
WITH datetime($since) AS since
MATCH (u:User)
WHERE u.ratingsChangedAt >= since.epochMillis
RETURN u.userId AS userId
