// movierec: bench peer write similar
// Peer for the writeback benchmark: the same SIMILAR rows written plainly, one CREATE per row, without run
// tagging or the per-movie replace. Bench-only relationship type (removed by peer_cleanup).
// Parameters: $rows, a list of {movieId: INTEGER, otherId: INTEGER, score: FLOAT, rank: INTEGER}.
//   :param rows => [{movieId: 1, otherId: 2, score: 0.5, rank: 1}]
UNWIND $rows AS row
MATCH (a:Movie {movieId: row.movieId})
MATCH (b:Movie {movieId: row.otherId})
CREATE (a)-[:BENCH_PEER_REC {score: row.score, rank: row.rank}]->(b)
