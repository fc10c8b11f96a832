// movierec: export rating rows
// Export, one row per rating: the RATED edges of the selected subgraph as the obvious query returns them.
// movierec's export reads export_ratings (the same edges, one row per user: the whole export 4.5x faster than
// this scan with the pure-Python driver, 10.8x with neo4j-rust-ext, BENCHMARKS.md); this form is the
// bare-scan peer of the export benchmark and `movierec export --compare-scan`.
// Parameters (null = no restriction):
//   $users        LIST<INTEGER>  only these userId values
//   $min_year     INTEGER        movies released in this year or later
//   $max_year     INTEGER        movies released in this year or earlier
//   $genres       LIST<STRING>   movies in at least one of these genres
//   $rated_after  DATETIME       ratings at or after this instant
//   $rated_before DATETIME       ratings strictly before this instant
// In Neo4j Browser set them first:
//   :param users => null
//   :param min_year => 2000
//   :param max_year => null
//   :param genres => ['Comedy']
//   :param rated_after => null
//   :param rated_before => null
MATCH (u:User)-[r:RATED]->(m:Movie)
WHERE ($users IS NULL OR u.userId IN $users)
  AND ($min_year IS NULL OR m.year >= $min_year)
  AND ($max_year IS NULL OR m.year <= $max_year)
  AND ($rated_after IS NULL OR r.timestamp >= $rated_after)
  AND ($rated_before IS NULL OR r.timestamp < $rated_before)
  AND ($genres IS NULL OR EXISTS { (m)-[:IN_GENRE]->(g:Genre) WHERE g.name IN $genres })
RETURN u.userId AS userId, m.movieId AS movieId, r.rating AS rating,
       r.timestamp.epochSeconds AS timestamp
