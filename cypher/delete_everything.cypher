// movierec: delete everything
// Empties the database: relationships first, then nodes, 50,000 per transaction (one dense node's
// DETACH DELETE in a single transaction can exhaust the memory pool). Constraints and indexes stay;
// movierec.cypher.admin.wipe drops those too. Runs in auto-commit transactions only (CALL ... IN TRANSACTIONS).
// Parameters: none.
MATCH ()-[r]->() CALL (r) { DELETE r } IN TRANSACTIONS OF 50000 ROWS;
MATCH (n) CALL (n) { DELETE n } IN TRANSACTIONS OF 50000 ROWS;
