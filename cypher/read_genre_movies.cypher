// movierec: read genre movies
// Answers: which movies are in this genre? (`recommend --fresh --genre` ranks only them)
// Parameters: $genre (STRING)
//   :param genre => 'Animation'
MATCH (:Genre {name: $genre})<-[:IN_GENRE]-(m:Movie)
RETURN collect(m.movieId) AS movieIds
