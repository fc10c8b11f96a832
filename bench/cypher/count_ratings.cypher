// movierec: count ratings
// How many RATED relationships the graph holds (is this dataset loaded already?).
// Parameters: none.
MATCH ()-[r:RATED]->() RETURN count(r) AS n
