// movierec: because you rated
// Answers: why might a user like a movie? The user's own highly rated movies that connect to it, through the
// active run's SIMILAR relationships (movies rated by the same users: the co-rating score computed at training
// time, gnn/serving/similar.py) and through shared genres; the most similar first, then the most shared genres, then
// the user's rating. Returns one row per connecting movie (what `recommend --explain` prints);
// because_you_rated_paths.cypher returns the same rows with a path of each kind, for Neo4j Browser to draw.
// It reads only precomputed links and the user's own ratings, so a blockbuster costs what a rarity does
// (counting co-raters live expanded every rater of both movies: seconds on the 25M graph), and it looks at
// most at 50 of the user's movies: every one SIMILAR to $movieId, then the best rated (ties in no set order).
// Parameters:
//   $userId    (INTEGER)  the user's userId
//   $movieId   (INTEGER)  the recommended movie's movieId
//   $minRating (FLOAT)    what counts as "highly rated"
//   $k         (INTEGER)  how many connecting movies
// In Neo4j Browser set them first:
//   :param userId => 1
//   :param movieId => 1
//   :param minRating => 4.0
//   :param k => 3
MATCH (u:User {userId: $userId}), (rec:Movie {movieId: $movieId})
OPTIONAL MATCH (run:ModelRun {active: true})
WITH u, rec,
     COLLECT { MATCH (rec)-[:IN_GENRE]->(g:Genre) RETURN g } AS recGenres,
     COLLECT { MATCH (rec)-[s:SIMILAR]-(:Movie) WHERE s.runId = run.runId RETURN s } AS links
WITH u, rec, recGenres, links, [s IN links | CASE WHEN startNode(s) = rec THEN endNode(s) ELSE startNode(s) END]
     AS near
MATCH (u)-[r:RATED]->(liked)
WHERE r.rating >= $minRating AND liked <> rec
WITH u, rec, recGenres, near, links, liked, r, liked IN near AS isNear
ORDER BY isNear DESC, r.rating DESC
LIMIT 50  // the similar ones, then the user's best rated: the genre check below stays bounded for heavy raters
WITH u, rec, liked, r, [(liked)-[:IN_GENRE]->(g) WHERE g IN recGenres | g] AS shared,
     CASE WHEN isNear THEN [i IN range(0, size(near) - 1) WHERE near[i] = liked | links[i]] ELSE [] END AS mine
WHERE size(shared) > 0 OR size(mine) > 0
WITH u, rec, liked, r, shared,
     reduce(best = null, s IN mine | CASE WHEN best IS NULL OR s.score > best.score THEN s ELSE best END) AS link
ORDER BY coalesce(link.score, 0.0) DESC, size(shared) DESC, r.rating DESC, liked.movieId
LIMIT toInteger($k)
RETURN liked.movieId AS movieId, liked.title AS title, r.rating AS yourRating,
       COLLECT { UNWIND shared AS g RETURN g.name AS name ORDER BY name } AS sharedGenres,
       link.score AS similarity
