// movierec: recommend for user
// Answers: which movies does the ACTIVE model run recommend to one user, best first?
// Only the active (:ModelRun {active: true}) is read, so a writeback in progress is never seen.
// Parameters:
//   $userId (INTEGER)       the user's userId
//   $k      (INTEGER)       how many recommendations
//   $genre  (STRING|NULL)   only movies in this genre (matched among the run's stored top-K), or null
// In Neo4j Browser set them first:
//   :param userId => 1
//   :param k => 10
//   :param genre => null
MATCH (run:ModelRun {active: true})
MATCH (u:User {userId: $userId})-[rec:RECOMMENDED]->(m)
WHERE rec.runId = run.runId AND ($genre IS NULL OR EXISTS { (m)-[:IN_GENRE]->(:Genre {name: $genre}) })
WITH run, m, rec
ORDER BY rec.rank
LIMIT toInteger($k)  // before the genre lists: only the k movies returned are expanded
RETURN m.movieId AS movieId, m.title AS title, m.year AS year,
       COLLECT { MATCH (m)-[:IN_GENRE]->(g) RETURN g.name AS name ORDER BY name } AS genres,
       rec.rank AS rank, rec.score AS score, rec.predictedRating AS predictedRating, run.runId AS runId
