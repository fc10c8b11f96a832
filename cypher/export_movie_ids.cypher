// movierec: export movie ids
// The PyG remote backend's graph store (gnn/data/remote/stores.py): the Movie nodes of the selected subgraph, by
// movieId, with their year (the feature store normalises years with the mean and spread of these, as the export
// does); genres and titles stay in Neo4j until a batch needs them.
// Parameters (null = no restriction):
//   $min_year  INTEGER       movies released in this year or later
//   $max_year  INTEGER       movies released in this year or earlier
//   $genres    LIST<STRING>  movies in at least one of these genres
// In Neo4j Browser set them first:
//   :param min_year => null
//   :param max_year => null
//   :param genres => null
MATCH (m:Movie)
WHERE ($min_year IS NULL OR m.year >= $min_year)
  AND ($max_year IS NULL OR m.year <= $max_year)
  AND ($genres IS NULL OR EXISTS { (m)-[:IN_GENRE]->(g:Genre) WHERE g.name IN $genres })
RETURN m.movieId AS movieId, m.year AS year
ORDER BY movieId
