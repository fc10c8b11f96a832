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
MATCH (u:User {userId: $userId})-[rec:RECOMMENDED {runId: run.runId}]->(m:Movie)
WHERE $genre IS NULL OR EXISTS { (m)-[:IN_GENRE]->(:Genre {name: $genre}) }
RETURN m.movieId AS movieId, m.title AS title, m.year AS year,
       COLLECT { MATCH (m)-[:IN_GENRE]->(g:Genre) RETURN g.name ORDER BY g.name } AS genres,
       rec.rank AS rank, rec.score AS score, rec.predictedRating AS predictedRating, run.runId AS runId
ORDER BY rec.rank
LIMIT toInteger($k)
