// bench: bare CREATE of users (the floor peer of the ingest stage)
// Parameters: $rows (LIST of {id: INTEGER})
UNWIND $rows AS row
CREATE (:User {userId: row.id})
