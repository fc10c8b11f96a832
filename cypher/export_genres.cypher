// movierec: export genres
// Export: every genre name, sorted (the columns of the movies' genre multi-hot features).
// Parameters: none.
MATCH (g:Genre)
RETURN g.name AS name
ORDER BY name
