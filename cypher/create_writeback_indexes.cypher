// movierec: create writeback indexes
// Indexes the writeback and the queries look runs up by. Idempotent. No parameters.
CREATE INDEX recommended_run_id IF NOT EXISTS FOR ()-[r:RECOMMENDED]-() ON (r.runId);
CREATE INDEX similar_run_id IF NOT EXISTS FOR ()-[r:SIMILAR]-() ON (r.runId);
CREATE INDEX model_run_active IF NOT EXISTS FOR (r:ModelRun) ON (r.active);
