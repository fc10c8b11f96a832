// movierec: read rating values
// The PyG remote backend's feature store (gnn/data/remote/stores.py): the rating and time (epoch seconds, 0 when unset)
// of given (userId, movieId) pairs, for the sampled message edges, as one record of three parallel lists (the
// driver decodes list elements far faster than records: 17,000 values a batch). A pair with no RATED is left out.
// Parameters: $userIds (LIST<INTEGER>), $movieIds (LIST<INTEGER>), parallel lists
//   :param userIds => [1]
//   :param movieIds => [1]
UNWIND range(0, size($userIds) - 1) AS i
MATCH (:User {userId: $userIds[i]})-[r:RATED]->(:Movie {movieId: $movieIds[i]})
RETURN collect(i) AS rows, collect(r.rating) AS ratings, collect(coalesce(r.timestamp.epochSeconds, 0)) AS times
