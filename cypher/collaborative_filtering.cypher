// movierec: collaborative filtering
// Answers: what did users with the same taste rate highly that this user has not rated?
// A pure-Cypher fallback for when no model run exists: the $neighbours users who share the most
// highly rated movies with the user vote for their own highly rated movies, weighted by that overlap.
// Parameters:
//   $userId     (INTEGER)      the user's userId
//   $k          (INTEGER)      how many recommendations
//   $genre      (STRING|NULL)  only movies in this genre, or null
//   $minRating  (FLOAT)        what counts as "rated highly"
//   $neighbours (INTEGER)      how many like-minded users vote
// In Neo4j Browser set them first:
//   :param userId => 1
//   :param k => 10
//   :param genre => null
//   :param minRating => 4.0
//   :param neighbours => 50
MATCH (u:User {userId: $userId})-[r1:RATED]->(:Movie)<-[r2:RATED]-(other:User)
WHERE r1.rating >= $minRating AND r2.rating >= $minRating AND other <> u
WITH u, other, count(*) AS overlap
ORDER BY overlap DESC, other.userId
LIMIT toInteger($neighbours)
MATCH (other)-[r3:RATED]->(m:Movie)
WHERE r3.rating >= $minRating
  AND NOT EXISTS { (u)-[:RATED]->(m) }
  AND ($genre IS NULL OR EXISTS { (m)-[:IN_GENRE]->(:Genre {name: $genre}) })
WITH m, sum(overlap) AS votes, count(other) AS raters
RETURN m.movieId AS movieId, m.title AS title, m.year AS year,
       COLLECT { MATCH (m)-[:IN_GENRE]->(g:Genre) RETURN g.name ORDER BY g.name } AS genres,
       toFloat(votes) AS score, raters
ORDER BY score DESC, raters DESC, movieId
LIMIT toInteger($k)
