// movierec: read users changed since
// The PyG remote backend's delta read (gnn/data/remote/stores.py, Neo4jGraphStore.refresh): the users whose ratings
// may have changed since $since, by the rules `movierec refresh` uses (read_changed_users.cypher, 3 and 4): a RATED
// whose timestamp is at or after $since, or User.ratingsChangedAt (epoch ms, set by ingest and `movierec rate`) at or
// after it. The store then reads those users' ratings again (export_ratings.cypher with $users), not the graph.
// Parameters: $since (DATETIME, the server time of the previous read)
//   :param since => datetime('2026-01-01T00:00:00Z')
CALL () {
  MATCH (u:User)-[r:RATED]->()
  WHERE r.timestamp >= $since
  RETURN u
  UNION
  MATCH (u:User)
  WHERE u.ratingsChangedAt >= $since.epochMillis
  RETURN u
}
RETURN u.userId AS userId
ORDER BY userId
