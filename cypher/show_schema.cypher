// movierec: show schema
// The database's constraints, then its indexes, by name (without the built-in token lookup indexes).
// Two statements: run them one at a time.
// Parameters: none.
SHOW CONSTRAINTS YIELD name RETURN 'CONSTRAINT' AS kind, name;
SHOW INDEXES YIELD name, type WHERE type <> 'LOOKUP' RETURN 'INDEX' AS kind, name;
