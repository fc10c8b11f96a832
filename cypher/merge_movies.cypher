// movierec: merge movies
// Creates or updates movies and replaces their genre links (idempotent; genres must exist).
// A movie without genre links yet gets plain CREATEs (nothing to match or delete: a fresh load, and no
// lock on the shared Genre nodes as MERGE takes); a linked movie has its stale links deleted and the rest MERGEd.
// Properties the row leaves null (imdbId, tmdbId, releaseDate) keep what the movie already has.
// Parameters: $rows, a list of {movieId: INTEGER, title: STRING, year: INTEGER|null, genres: LIST<STRING>,
//   imdbId: INTEGER|null, tmdbId: INTEGER|null, releaseDate: STRING (yyyy-mm-dd)|null}.
//   :param rows => [{movieId: 1, title: 'Toy Story', year: 1995, genres: ['Animation', 'Comedy'], imdbId: 114709, tmdbId: 862, releaseDate: null}]
UNWIND $rows AS row
MERGE (m:Movie {movieId: row.movieId})
SET m.title = row.title,
    m.year = row.year,
    m.imdbId = coalesce(row.imdbId, m.imdbId),
    m.tmdbId = coalesce(row.tmdbId, m.tmdbId),
    m.releaseDate = coalesce(date(row.releaseDate), m.releaseDate)
WITH m, row, EXISTS { (m)-[:IN_GENRE]->() } AS linked
CALL (m, row, linked) {
  WITH * WHERE linked
  MATCH (m)-[old:IN_GENRE]->(g:Genre)
  WHERE NOT g.name IN row.genres
  DELETE old
}
CALL (m, row, linked) {
  WITH * WHERE linked
  UNWIND row.genres AS name
  MATCH (g:Genre {name: name})
  MERGE (m)-[:IN_GENRE]->(g)
}
CALL (m, row, linked) {
  WITH * WHERE NOT linked
  UNWIND row.genres AS name
  MATCH (g:Genre {name: name})
  CREATE (m)-[:IN_GENRE]->(g)
}
