// Export: the User nodes of the selected subgraph with their demographics (null where the release has none).
// Parameters:
//   $users  LIST<INTEGER>  only these userId values (null = every user)
// Browser: :param {users: null}
MATCH (u:User)
WHERE $users IS NULL OR u.userId IN $users
RETURN u.userId AS userId, u["gender"] AS gender, u["age"] AS age, u["occupation"] AS occupation
ORDER BY userId
