// movierec: popular in genre
// Answers: what to show a user with no ratings (cold start)? The most rated movies, optionally in one
// genre, among those with a good mean rating; movies the user (if any) already rated are left out.
// Parameters:
//   $genre      (STRING|NULL)   only movies in this genre, or null for all
//   $k          (INTEGER)       how many movies
//   $minMean    (FLOAT)         lowest mean rating to count as good
//   $userId     (INTEGER|NULL)  a user whose rated movies to leave out, or null
// In Neo4j Browser set them first:
//   :param genre => 'Comedy'
//   :param k => 10
//   :param minMean => 3.5
//   :param userId => null
MATCH (m:Movie)
WHERE ($genre IS NULL OR EXISTS { (m)-[:IN_GENRE]->(:Genre {name: $genre}) })
  AND NOT EXISTS { (:User {userId: $userId})-[:RATED]->(m) }
MATCH (m)<-[r:RATED]-(:User)
WITH m, count(r) AS ratings, avg(r.rating) AS mean
WHERE mean >= $minMean
RETURN m.movieId AS movieId, m.title AS title, m.year AS year,
       COLLECT { MATCH (m)-[:IN_GENRE]->(g:Genre) RETURN g.name ORDER BY g.name } AS genres,
       toFloat(ratings) AS score, ratings, mean
ORDER BY ratings DESC, mean DESC, movieId
LIMIT toInteger($k)
