// movierec: write similar movies
// Writes a run's similar movies (co-rating cosine, gnn/similar.py), one row per movie: first deletes
// that movie's SIMILAR relationships of the same run (so a rerun after a crash rewrites, never
// duplicates), then creates the new ones. Relationships of other runs (the active one) are not touched.
// Parameters: $runId (STRING),
//   $rows (LIST of {movieId: INTEGER, similar: LIST of {movieId, score, rank}})
//   :param runId => 'example'
//   :param rows => [{movieId: 1, similar: [{movieId: 3114, score: 0.57, rank: 1}]}]
UNWIND $rows AS row
MATCH (m:Movie {movieId: row.movieId})
CALL (m) {
  MATCH (m)-[old:SIMILAR {runId: $runId}]->()
  DELETE old
}
WITH m, row
UNWIND row.similar AS near
MATCH (other:Movie {movieId: near.movieId})
CREATE (m)-[:SIMILAR {score: near.score, rank: near.rank, runId: $runId}]->(other)
