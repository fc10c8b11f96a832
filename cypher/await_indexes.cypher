// movierec: await indexes
// Waits until every index (constraints' own, the vector indexes) is ONLINE, or fails after $timeout seconds.
// Index population is asynchronous: run it after creating indexes and before querying through them.
// In Neo4j Browser set it first:
//   :param timeout => 300
CALL db.awaitIndexes($timeout)
