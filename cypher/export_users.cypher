// movierec: export users
// Export: the User nodes of the selected subgraph with their demographics (null where the release has none).
// Parameters:
//   $users  LIST<INTEGER>  only these userId values (null = every user)
// In Neo4j Browser set it first:
//   :param users => null
MATCH (u:User)
WHERE $users IS NULL OR u.userId IN $users
WITH u, properties(u) AS p  // a map: no warning when a release has no demographics
RETURN u.userId AS userId, p.gender AS gender, p.age AS age, p.occupation AS occupation
ORDER BY userId
