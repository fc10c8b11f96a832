// movierec: write folded movies
// Gives movies the active run had no place for (read_new_movies.cypher) their fold-in under it, each movie whole
// in one transaction: its embedding, rating model (ratingBias, ratingFactors), its ranker's vector and bias
// (foldedRankVector, foldedRankBias: how refresh and recommend --fresh score it for users), the run it was folded
// under (foldedRunId) with the ratings behind it (foldedRatings) and its SIMILAR relationships of the run; returns the
// movies written. gnn/serving/new_movies.py runs it and write_folded_similar_into.cypher (the new movies in other
// movies' SIMILAR lists) in ONE transaction: a reader sees such a movie without any of it or with all of it. The run node is write-locked first, as refresh_recommendations
// does, so nothing is written (movies = 0) if $runId is no longer active; a movie that got an embedding since it was
// read (another refresh folded it) is skipped, so two refreshes never write one movie twice. foldedRatingsAll: the
// ratings this fold saw (read_refold_movies.cypher folds it again when they have doubled; write_refolded_movies).
// Parameters: $runId (STRING),
//   $rows (LIST of {movieId: INTEGER, embedding: LIST<FLOAT>, ratingBias: FLOAT, ratingFactors: LIST<FLOAT>,
//          rankVector: LIST<FLOAT>, rankBias: FLOAT, known: INTEGER, all: INTEGER,
//          similar: LIST<INTEGER>, scores: LIST<FLOAT>})
//   :param runId => 'example'
//   :param rows => [{movieId: 1, embedding: [0.1, 0.2], ratingBias: 0.1, ratingFactors: [0.0, 0.2], rankVector: [0.3, 0.1], rankBias: 0.2, known: 3, all: 3, similar: [2], scores: [0.5]}]
MATCH (run:ModelRun {runId: $runId})
SET run._LOCK_ = true REMOVE run._LOCK_  // the switch writes this node first: it waits for us, or we for it
WITH run WHERE run.active
UNWIND $rows AS row
MATCH (m:Movie {movieId: row.movieId})
WHERE m.embedding IS NULL
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
