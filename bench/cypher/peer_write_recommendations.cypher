// movierec: bench peer write recommendations
// Peer for the writeback benchmark: the same top-K rows written plainly, one CREATE per row,
// without movierec's staging, run tagging and atomic switch. Bench-only relationship type.
// Parameters: $rows, a list of {userId: INTEGER, movieId: INTEGER, score: FLOAT, rank: INTEGER}.
//   :param rows => [{userId: 1, movieId: 2, score: 0.5, rank: 1}]
UNWIND $rows AS row
MATCH (u:User {userId: row.userId})
MATCH (m:Movie {movieId: row.movieId})
CREATE (u)-[:BENCH_PEER_REC {score: row.score, rank: row.rank}]->(m)
