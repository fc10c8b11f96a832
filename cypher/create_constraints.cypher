// movierec: create constraints
// Uniqueness constraints of the movierec graph (each also creates the index lookups use).
// Run before loading; idempotent. No parameters.
CREATE CONSTRAINT user_id IF NOT EXISTS FOR (u:User) REQUIRE u.userId IS UNIQUE;
CREATE CONSTRAINT movie_id IF NOT EXISTS FOR (m:Movie) REQUIRE m.movieId IS UNIQUE;
CREATE CONSTRAINT genre_name IF NOT EXISTS FOR (g:Genre) REQUIRE g.name IS UNIQUE;
CREATE CONSTRAINT model_run_id IF NOT EXISTS FOR (r:ModelRun) REQUIRE r.runId IS UNIQUE;
