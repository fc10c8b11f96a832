// movierec: activate run
// The switch, run as ONE transaction by gnn/writeback.py (statements separated by ";"): marks the
// run active and the previous one inactive, and swaps the run's staged node properties in:
// User/Movie.embedding and the rating model's User/Movie.ratingBias and .ratingFactors (removing them
// from nodes the run does not cover, so that no node keeps a vector or a rating parameter of another
// run; a movie `movierec refresh` folded in under another run loses its fold, foldedRunId, foldedRatings and
// foldedRankVector / foldedRankBias included, and is folded in again under this one). The run's rating offset and range are already on its ModelRun
// (merge_model_run). Readers see
// the old run or the new one, never a mix. Every user's refresh stamp is cleared: whatever `movierec refresh`
// wrote (fold-in lists and rating models) was under another run, or is replaced by the run's own values, so
// refresh judges every user afresh against the run (read_changed_users).
// Parameters: $runId (STRING)
//   :param runId => 'example'
MATCH (new:ModelRun {runId: $runId})
OPTIONAL MATCH (old:ModelRun {active: true})
WHERE old.runId <> $runId
SET old.active = false
SET new.active = true, new.foldedMovies = 0  // a run's folds went when it stopped being active
RETURN collect(old.runId) AS previous;
MATCH (u:User)
WHERE u.refreshedRunId IS NOT NULL
REMOVE u.refreshedAt, u.refreshedRunId, u.refreshedVersion;
MATCH (u:User)
WHERE (u.embedding IS NOT NULL OR u.ratingBias IS NOT NULL OR u.ratingFactors IS NOT NULL)
  AND coalesce(u.stagedRunId, '') <> $runId
REMOVE u.embedding, u.ratingBias, u.ratingFactors;
MATCH (u:User)
WHERE u.stagedRunId = $runId
SET u.embedding = u.stagedEmbedding, u.ratingBias = u.stagedRatingBias, u.ratingFactors = u.stagedRatingFactors
REMOVE u.stagedEmbedding, u.stagedRatingBias, u.stagedRatingFactors, u.stagedRunId;
MATCH (m:Movie)
WHERE (m.embedding IS NOT NULL OR m.ratingBias IS NOT NULL OR m.ratingFactors IS NOT NULL)
  AND coalesce(m.stagedRunId, '') <> $runId
REMOVE m.embedding, m.ratingBias, m.ratingFactors, m.foldedRunId, m.foldedRatings, m.foldedRankVector,
       m.foldedRankBias, m.foldedRatingsAll;
MATCH (m:Movie)
WHERE m.stagedRunId = $runId
SET m.embedding = m.stagedEmbedding, m.ratingBias = m.stagedRatingBias, m.ratingFactors = m.stagedRatingFactors
REMOVE m.stagedEmbedding, m.stagedRatingBias, m.stagedRatingFactors, m.stagedRunId, m.foldedRunId, m.foldedRatings,
       m.foldedRankVector, m.foldedRankBias, m.foldedRatingsAll;
