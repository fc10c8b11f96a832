// movierec: merge users
// Creates or updates users (idempotent). Demographics the row leaves null keep what the user already has.
// Parameters: $rows, a list of {userId: INTEGER, gender: STRING|null, age: INTEGER|null,
//   occupation: STRING|null, zip: STRING|null}.
//   :param rows => [{userId: 1, gender: 'M', age: 24, occupation: 'technician', zip: '85711'}]
UNWIND $rows AS row
MERGE (u:User {userId: row.userId})
SET u.gender = coalesce(row.gender, u.gender),
    u.age = coalesce(row.age, u.age),
    u.occupation = coalesce(row.occupation, u.occupation),
    u.zip = coalesce(row.zip, u.zip)
