// Edges that belong to no connection key (written outside graphsvc, or a half-finished repair).
// :params {limit: 1000}
MATCH (a)-[e]->(b)
WHERE e.connection_id IS NULL
   OR NOT EXISTS { MATCH (:ConnectionKey {id: e.connection_id}) }
RETURN e.connection_id AS connection_id, a.id AS source_id, b.id AS target_id, type(e) AS type
LIMIT $limit
