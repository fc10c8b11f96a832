// movierec: drop vector indexes
// Drops the movie embedding vector index (before recreating it for a run of other dimensions).
// Parameters: none.
DROP INDEX movie_embedding IF EXISTS
