// movierec: because you rated
// Answers: why might a user like a movie? The user's own highly rated movies that connect to it,
// through shared genres and through co-raters (other users who rated both highly), strongest first.
// Returns one row per connecting movie, with an example path of each kind (null when there is none);
// Neo4j Browser draws the paths.
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
MATCH (u)-[r:RATED]->(liked:Movie)
WHERE r.rating >= $minRating AND liked <> rec
WITH u, rec, liked, r,
     COLLECT { MATCH (liked)-[:IN_GENRE]->(g:Genre)<-[:IN_GENRE]-(rec) RETURN g.name ORDER BY g.name } AS sharedGenres,
     COUNT {
       MATCH (liked)<-[r2:RATED]-(other:User)-[r3:RATED]->(rec)
       WHERE other <> u AND r2.rating >= $minRating AND r3.rating >= $minRating
     } AS coRaters
WHERE size(sharedGenres) > 0 OR coRaters > 0
WITH u, rec, liked, r, sharedGenres, coRaters
ORDER BY coRaters DESC, size(sharedGenres) DESC, r.rating DESC, liked.movieId
LIMIT toInteger($k)
RETURN liked.movieId AS movieId, liked.title AS title, r.rating AS yourRating, sharedGenres, coRaters,
       COLLECT {
         MATCH p = (u)-[:RATED]->(liked)-[:IN_GENRE]->(:Genre)<-[:IN_GENRE]-(rec)
         RETURN p LIMIT 1
       }[0] AS genrePath,
       COLLECT {
         MATCH p = (u)-[:RATED]->(liked)<-[r2:RATED]-(other:User)-[r3:RATED]->(rec)
         WHERE other <> u AND r2.rating >= $minRating AND r3.rating >= $minRating
         RETURN p LIMIT 1
       }[0] AS coRaterPath
