// movierec: export topology
// The PyG remote backend (gnn/data/remote/stores.py): the RATED edges of the selected subgraph as topology only, one row
// per user with the movieIds it rated, the export's fast path (export_ratings.cypher) without ratings and times,
// which the feature store fetches per batch. Users without a selected rating return no row.
// Parameters (null = no restriction), as export_ratings.cypher:
//   $users        LIST<INTEGER>  only these userId values
//   $min_year     INTEGER        movies released in this year or later
//   $max_year     INTEGER        movies released in this year or earlier
//   $genres       LIST<STRING>   movies in at least one of these genres
//   $rated_after  DATETIME       ratings at or after this instant
//   $rated_before DATETIME       ratings strictly before this instant
// In Neo4j Browser set them first:
//   :param users => null
//   :param min_year => null
//   :param max_year => null
//   :param genres => null
//   :param rated_after => null
//   :param rated_before => null
MATCH (u:User)
WHERE $users IS NULL OR u.userId IN $users
CALL (u) {
  MATCH (u)-[r:RATED]->(m:Movie)
  WHERE ($min_year IS NULL OR m.year >= $min_year)
    AND ($max_year IS NULL OR m.year <= $max_year)
    AND ($rated_after IS NULL OR r.timestamp >= $rated_after)
    AND ($rated_before IS NULL OR r.timestamp < $rated_before)
    AND ($genres IS NULL OR EXISTS { (m)-[:IN_GENRE]->(g:Genre) WHERE g.name IN $genres })
  RETURN collect(m.movieId) AS movieIds
}
WITH u, movieIds
WHERE size(movieIds) > 0
RETURN u.userId AS userId, movieIds
