// movierec: read user
// Answers: does a user exist, how many movies has they rated, and how many recommendations does the
// active run hold for them? No row when the user does not exist.
// Parameters: $userId (INTEGER)
//   :param userId => 1
MATCH (u:User {userId: $userId})
OPTIONAL MATCH (run:ModelRun {active: true})
RETURN u.userId AS userId,
       COUNT { (u)-[:RATED]->() } AS ratings,
       COUNT { (u)-[r:RECOMMENDED]->() WHERE r.runId = run.runId } AS recommendations
