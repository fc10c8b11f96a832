// movierec: drop user vector index
// Drops the vector index on User.embedding that earlier movierec versions created: no query reads it,
// and every writeback paid to fill it. User.embedding itself stays.
// Parameters: none.
DROP INDEX user_embedding IF EXISTS
