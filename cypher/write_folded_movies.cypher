// movierec: write folded movies
// Gives movies the active run had no place for (read_new_movies.cypher) their fold-in under it, each movie whole
// in one transaction: its embedding, rating model (ratingBias, ratingFactors), its ranker's vector and bias
// (foldedRankVector, foldedRankBias: how refresh and recommend --fresh score it for users), the run it was folded
// under (foldedRunId) with the ratings behind it (foldedRatings), its SIMILAR relationships of the run, and its place in
// other movies' SIMILAR lists: for each of the run's movies in $rows.into, the new movie enters the list if its score
// there beats the list's last (or the list is shorter than the run's similarK), the list is ranked again by score
// (the new movie after an equal score) and cut to similarK; what a recompute over every rating would give those
// lists. A reader sees such a movie without any of it or with all of it. The run node is write-locked first, as refresh_recommendations
// does, so nothing is written (movies = 0) if $runId is no longer active; a movie that got an embedding since it was
// read (another refresh folded it) is skipped, so two refreshes never write one movie twice. The run's foldedMovies
// counts the movies folded under it: a long-lived reader (refresh --watch, the HTTP service) reloads its folds when
// it changes.
// Parameters: $runId (STRING),
//   $rows (LIST of {movieId: INTEGER, embedding: LIST<FLOAT>, ratingBias: FLOAT, ratingFactors: LIST<FLOAT>,
//          rankVector: LIST<FLOAT>, rankBias: FLOAT, known: INTEGER, similar: LIST<INTEGER>, scores: LIST<FLOAT>, into: LIST<INTEGER>, intoScores: LIST<FLOAT>})
//   :param runId => 'example'
//   :param rows => [{movieId: 1, embedding: [0.1, 0.2], ratingBias: 0.1, ratingFactors: [0.0, 0.2], rankVector: [0.3, 0.1], rankBias: 0.2, known: 3, similar: [2], scores: [0.5], into: [2], intoScores: [0.3]}]
MATCH (run:ModelRun {runId: $runId})
SET run._LOCK_ = true REMOVE run._LOCK_  // the switch writes this node first: it waits for us, or we for it
WITH run WHERE run.active
UNWIND $rows AS row
MATCH (m:Movie {movieId: row.movieId})
WHERE m.embedding IS NULL
SET m.embedding = row.embedding, m.ratingBias = row.ratingBias, m.ratingFactors = row.ratingFactors,
    m.foldedRankVector = row.rankVector, m.foldedRankBias = row.rankBias, m.foldedRunId = $runId,
    m.foldedRatings = row.known
WITH run, m, row
CALL (m, row) {
  UNWIND range(0, size(row.similar) - 1) AS i
  WITH i ORDER BY row.similar[i]  // one lock order on the shared Movie nodes
  MATCH (other:Movie {movieId: row.similar[i]})
  CREATE (m)-[:SIMILAR {score: row.scores[i], rank: i + 1, runId: $runId}]->(other)
}
CALL (run, m, row) {
  UNWIND range(0, size(row.into) - 1) AS i
  WITH i ORDER BY row.into[i]
  MATCH (other:Movie {movieId: row.into[i]})
  OPTIONAL MATCH (other)-[s:SIMILAR {runId: $runId}]->()
  WITH other, row.intoScores[i] AS score, count(s) AS listed, min(s.score) AS last
  WHERE listed < coalesce(run.similarK, 20) OR score > last
  CREATE (other)-[:SIMILAR {score: score, rank: coalesce(run.similarK, 20) + 1, runId: $runId}]->(m)
  WITH other
  MATCH (other)-[s:SIMILAR {runId: $runId}]->()
  WITH other, s ORDER BY s.score DESC, s.rank
  WITH other, collect(s) AS list
  FOREACH (i IN range(0, size(list) - 1) | SET (list[i]).rank = i + 1)
  FOREACH (s IN list[coalesce(run.similarK, 20)..] | DELETE s)
}
WITH collect(DISTINCT run) AS runs, count(m) AS movies
FOREACH (r IN runs | SET r.foldedMovies = coalesce(r.foldedMovies, 0) + movies)
RETURN movies
