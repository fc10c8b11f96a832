// movierec: drop vector indexes
// Drops the embedding vector indexes (before recreating them for a run of other dimensions).
// Parameters: none.
DROP INDEX user_embedding IF EXISTS;
DROP INDEX movie_embedding IF EXISTS;
