// movierec: activate run
// The switch, run as ONE transaction by gnn/writeback.py (statements separated by ";"): marks the
// run active and the previous one inactive, and swaps the run's staged embeddings into
// User.embedding / Movie.embedding (removing embeddings the run does not have, so that no node keeps
// a vector from another run's space). Readers see the old run or the new one, never a mix.
// Parameters: $runId (STRING)
//   :param runId => 'example'
MATCH (new:ModelRun {runId: $runId})
OPTIONAL MATCH (old:ModelRun {active: true})
WHERE old.runId <> $runId
SET old.active = false
SET new.active = true
RETURN collect(old.runId) AS previous;
MATCH (u:User)
WHERE u.embedding IS NOT NULL AND coalesce(u.stagedRunId, '') <> $runId
REMOVE u.embedding;
MATCH (u:User)
WHERE u.stagedRunId = $runId
SET u.embedding = u.stagedEmbedding
REMOVE u.stagedEmbedding, u.stagedRunId;
MATCH (m:Movie)
WHERE m.embedding IS NOT NULL AND coalesce(m.stagedRunId, '') <> $runId
REMOVE m.embedding;
MATCH (m:Movie)
WHERE m.stagedRunId = $runId
SET m.embedding = m.stagedEmbedding
REMOVE m.stagedEmbedding, m.stagedRunId;
