// movierec: bench bare create users
// Floor peer of the ingest benchmark: users as bare nodes (userId only), before its ratings.
// Parameters: $rows (LIST of {id: INTEGER})
//   :param rows => [{id: 1}, {id: 2}]
UNWIND $rows AS row
CREATE (:User {userId: row.id})
