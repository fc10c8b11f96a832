// movierec: write folded similar into
// Puts movies just folded into run $runId (write_folded_movies.cypher, the same transaction) into the SIMILAR lists of
// the run's movies, as a recompute over every rating would: for each listed movie of $into, its current list of the
// run and the new candidates are ranked together by score (a current entry first on an equal score, then by rank),
// the first similarK (the run's) are kept and ranked 1..k, the rest deleted. Each list is read and rewritten once
// per call, whatever number of new movies enter it. Adds $movies to the run's foldedMovies: a long-lived reader
// (refresh --watch, the HTTP service) loads the new folds when that count changes.
// Parameters: $runId (STRING), $movies (INTEGER, movies folded by this transaction),
//   $into (LIST of {movieId: INTEGER, newIds: LIST<INTEGER>, scores: LIST<FLOAT>}, movieId order; scores are the
//          new movies' n_ih / (n_h + 10), times the genre factor, in movie movieId's list)
//   :param runId => 'example'
//   :param movies => 1
//   :param into => [{movieId: 2, newIds: [1], scores: [0.3]}]
MATCH (run:ModelRun {runId: $runId})
SET run.foldedMovies = coalesce(run.foldedMovies, 0) + $movies
WITH coalesce(run.similarK, 20) AS k
UNWIND $into AS entry
MATCH (other:Movie {movieId: entry.movieId})
WITH k, other, entry,
     [(other)-[s:SIMILAR]->() WHERE s.runId = $runId | {rel: s, score: s.score, rank: s.rank}] AS current
CALL (k, entry, current) {
  UNWIND current + [i IN range(0, size(entry.newIds) - 1) |
                    {rel: null, score: entry.scores[i], rank: k + 1, id: entry.newIds[i]}] AS x
  WITH x ORDER BY x.score DESC, x.rank, x.id
  RETURN collect(x) AS ranked
}
FOREACH (x IN [y IN ranked[k..] WHERE y.rel IS NOT NULL] | DELETE x.rel)
WITH other, ranked[..k] AS kept
UNWIND range(0, size(kept) - 1) AS i
WITH other, kept[i] AS x, i
FOREACH (_ IN CASE WHEN x.rel IS NOT NULL AND x.rank <> i + 1 THEN [1] ELSE [] END | SET (x.rel).rank = i + 1)
WITH other, x, i WHERE x.rel IS NULL
MATCH (m:Movie {movieId: x.id})
CREATE (other)-[:SIMILAR {score: x.score, rank: i + 1, runId: $runId}]->(m)
