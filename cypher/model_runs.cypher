// movierec: model runs
// Answers: which model runs were written back, with their metrics, the active one first?
// params and metrics are JSON strings; recommendations counts the run's RECOMMENDED relationships
// (0 for a replaced run, whose relationships are deleted once the next run is active).
// Parameters: none.
MATCH (r:ModelRun)
RETURN r.runId AS runId, r.model AS model, r.createdAt AS createdAt, r.active AS active,
       r.metrics AS metrics, r.params AS params, r.path AS path,
       COUNT { ()-[x:RECOMMENDED]->() WHERE x.runId = r.runId } AS recommendations
ORDER BY r.active DESC, r.createdAt DESC, r.runId
