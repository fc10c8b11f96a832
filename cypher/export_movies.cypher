// movierec: export movies
// Export: the Movie nodes of the selected subgraph with their features (year, genre names) and title, by movieId.
// Parameters (null = no restriction):
//   $min_year  INTEGER       movies released in this year or later
//   $max_year  INTEGER       movies released in this year or earlier
//   $genres    LIST<STRING>  movies in at least one of these genres
// In Neo4j Browser set them first:
//   :param min_year => 2000
//   :param max_year => null
//   :param genres => null
MATCH (m:Movie)
WHERE ($min_year IS NULL OR m.year >= $min_year)
  AND ($max_year IS NULL OR m.year <= $max_year)
  AND ($genres IS NULL OR EXISTS { (m)-[:IN_GENRE]->(g:Genre) WHERE g.name IN $genres })
RETURN m.movieId AS movieId, m.year AS year, [(m)-[:IN_GENRE]->(g:Genre) | g.name] AS genres,
       m.title AS title
ORDER BY movieId
