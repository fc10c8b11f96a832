// movierec: find movies by title
// Answers: which movies have this title? Exact matches (case-insensitive, optionally with the year)
// first, then titles containing it; the most rated first.
// Parameters: $title (STRING), $year (INTEGER|NULL), $limit (INTEGER)
//   :param title => 'Toy Story'
//   :param year => null
//   :param limit => 5
MATCH (m:Movie)
WHERE toLower(m.title) CONTAINS toLower($title) AND ($year IS NULL OR m.year = $year)
WITH m, toLower(m.title) = toLower($title) AS exact, COUNT { (m)<-[:RATED]-() } AS ratings
RETURN m.movieId AS movieId, m.title AS title, m.year AS year, exact, ratings
ORDER BY exact DESC, ratings DESC, m.movieId
LIMIT toInteger($limit)
