// movierec: read genres
// Answers: which genres exist? Parameters: none.
MATCH (g:Genre)
RETURN g.name AS name
ORDER BY name
