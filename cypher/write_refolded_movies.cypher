// movierec: write refolded movies
// Folds again movies that refresh folded before and that have gathered ratings since (read_refold_movies.cypher),
// as write_folded_movies.cypher writes a first fold (then write_folded_similar_into.cypher, one transaction): only if it
// still has the fold it was read with (foldedRatingsAll = foldedWith), its SIMILAR of the run removed in both
// directions first (the lists it leaves are one short, unless it enters them again, until the next writeback),
// foldedRatingsAll the ratings this fold saw. The run node is write-locked first; nothing is written if $runId is
// no longer active.
// Parameters: $runId (STRING),
//   $rows (LIST of {movieId: INTEGER, embedding: LIST<FLOAT>, ratingBias: FLOAT, ratingFactors: LIST<FLOAT>,
//          rankVector: LIST<FLOAT>, rankBias: FLOAT, known: INTEGER, all: INTEGER,
//          foldedWith: INTEGER, similar: LIST<INTEGER>, scores: LIST<FLOAT>})
//   :param runId => 'example'
//   :param rows => [{movieId: 1, embedding: [0.1, 0.2], ratingBias: 0.1, ratingFactors: [0.0, 0.2], rankVector: [0.3, 0.1], rankBias: 0.2, known: 3, all: 3, foldedWith: 3, similar: [2], scores: [0.5]}]
MATCH (run:ModelRun {runId: $runId})
SET run._LOCK_ = true REMOVE run._LOCK_  // the switch writes this node first: it waits for us, or we for it
WITH run WHERE run.active
UNWIND $rows AS row
MATCH (m:Movie {movieId: row.movieId})
WHERE m.foldedRunId = $runId AND coalesce(m.foldedRatingsAll, 0) = row.foldedWith
CALL (m) {  // its SIMILAR of the run, both ways, make way for the new ones
  MATCH (m)-[s:SIMILAR]-()
  WHERE s.runId = $runId
  DELETE s
}
SET m.embedding = row.embedding, m.ratingBias = row.ratingBias, m.ratingFactors = row.ratingFactors,
    m.foldedRankVector = row.rankVector, m.foldedRankBias = row.rankBias, m.foldedRunId = $runId,
    m.foldedRatings = row.known, m.foldedRatingsAll = row.all
WITH m, row
CALL (m, row) {
  UNWIND range(0, size(row.similar) - 1) AS i
  WITH i ORDER BY row.similar[i]  // one lock order on the shared Movie nodes
  MATCH (other:Movie {movieId: row.similar[i]})
  CREATE (m)-[:SIMILAR {score: row.scores[i], rank: i + 1, runId: $runId}]->(other)
}
RETURN m.movieId AS movieId
