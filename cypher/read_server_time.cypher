// movierec: read server time
// Answers: what time is it on the server? The writeback reads it just before the graph's ratings, so
// that refresh can tell the ratings the run saw from those that came later (ModelRun.ratingsReadAt).
// Parameters: none.
RETURN datetime.transaction() AS now
