// movierec: read folded movies
// Answers: which movies did `movierec refresh` fold into run $runId after its training (write_folded_movies.cypher),
// and how does its ranker and rating model score them? Fold-in scoring (refresh, recommend --fresh) adds them to the
// run's own movies, so users can be recommended a movie the run never saw. movieId order.
// Parameters: $runId (STRING)
//   :param runId => 'example'
MATCH (m:Movie)
WHERE m.foldedRunId = $runId AND m.foldedRankVector IS NOT NULL
RETURN m.movieId AS movieId, m.foldedRankVector AS rankVector, m.foldedRankBias AS rankBias,
       m.ratingFactors AS ratingFactors, m.ratingBias AS ratingBias, m.foldedRatings AS ratings
ORDER BY movieId
