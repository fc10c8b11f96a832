// movierec: merge genres
// Creates the genres of a MovieLens release (idempotent).
// Parameters: $rows, a list of {name: STRING}.
//   :param rows => [{name: 'Comedy'}, {name: 'Drama'}]
UNWIND $rows AS row
MERGE (g:Genre {name: row.name})
