// movierec: create writeback indexes
// Indexes the writeback and the queries look runs up by, and those `movierec refresh` and the writeback find
// changed users by (rating timestamps, User.ratingsChangedAt). Created at the end of every ingest (Neo4j fills
// them in the background) and again by the writeback, which waits for them. Idempotent. No parameters.
CREATE INDEX recommended_run_id IF NOT EXISTS FOR ()-[r:RECOMMENDED]-() ON (r.runId);
CREATE INDEX similar_run_id IF NOT EXISTS FOR ()-[r:SIMILAR]-() ON (r.runId);
CREATE INDEX model_run_active IF NOT EXISTS FOR (r:ModelRun) ON (r.active);
CREATE INDEX rated_timestamp IF NOT EXISTS FOR ()-[r:RATED]-() ON (r.timestamp);
CREATE INDEX user_ratings_changed_at IF NOT EXISTS FOR (u:User) ON (u.ratingsChangedAt);
