// movierec: export ratings
// Export: the RATED edges of the selected subgraph, one row per user with three parallel lists
// (streamed by `movierec export/train`). One record per user instead of one per rating: the driver
// decodes a list element several times faster than a record, so the whole export ran 4.5x faster
// (10.8x with neo4j-rust-ext) than a bare scan of the one-row-per-rating form (export_rating_rows) on a
// 1M-rating release (BENCHMARKS.md). Users without a
// selected rating return no row.
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
MATCH (u:User)
WHERE $users IS NULL OR u.userId IN $users
CALL (u) {
  MATCH (u)-[r:RATED]->(m:Movie)
  WHERE ($min_year IS NULL OR m.year >= $min_year)
    AND ($max_year IS NULL OR m.year <= $max_year)
    AND ($rated_after IS NULL OR r.timestamp >= $rated_after)
    AND ($rated_before IS NULL OR r.timestamp < $rated_before)
    AND ($genres IS NULL OR EXISTS { (m)-[:IN_GENRE]->(g:Genre) WHERE g.name IN $genres })
  // collect() skips nulls: a missing timestamp becomes 0 so that the lists stay parallel
  RETURN collect(m.movieId) AS movieIds, collect(r.rating) AS ratings,
         collect(coalesce(r.timestamp.epochSeconds, 0)) AS timestamps
}
WITH u, movieIds, ratings, timestamps
WHERE size(movieIds) > 0
RETURN u.userId AS userId, movieIds, ratings, timestamps
