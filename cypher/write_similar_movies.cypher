// movierec: write similar movies
// Writes a run's similar movies (by co-rating, gnn/serving/similar.py), one row per movie: first deletes
// that movie's SIMILAR relationships of the same run (so a rerun after a crash rewrites, never
// duplicates), then creates the new ones, rank i + 1 for the i-th entry. Relationships of other runs (the active
// one) are not touched. Targets are locked in movieId order, so concurrent batches (disjoint source movies,
// shared targets) mostly wait rather than deadlock; a deadlock left (a source of one batch is a target of
// another) is retried by the caller's managed transaction. Rows are columns (two equal-length lists).
// Parameters: $runId (STRING),
//   $rows (LIST of {movieId: INTEGER, otherIds: LIST<INTEGER>, scores: LIST<FLOAT>}, best first)
//   :param runId => 'example'
//   :param rows => [{movieId: 1, otherIds: [3114, 2355], scores: [0.57, 0.43]}]
UNWIND $rows AS row
MATCH (m:Movie {movieId: row.movieId})
// expanded from m, never looked up through the SIMILAR(runId) index: with few such relationships in the
// statistics (a first writeback) the planner picks that index and filters on m, which reads every
// relationship the run has written so far, once per row
FOREACH (old IN [r IN [(m)-[x:SIMILAR]->() | x] WHERE r.runId = $runId] | DELETE old)
WITH m, row
UNWIND range(0, size(row.otherIds) - 1) AS i
WITH m, row.otherIds[i] AS otherId, row.scores[i] AS score, i + 1 AS rank
ORDER BY otherId
MATCH (other:Movie {movieId: otherId})
CREATE (m)-[:SIMILAR {score: score, rank: rank, runId: $runId}]->(other)
