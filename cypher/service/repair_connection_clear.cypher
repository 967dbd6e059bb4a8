// Remove every trace of a connection (its key and all edges with its id between two records).
// :params {id: "c1", source_id: "john", target_id: "jane"}
OPTIONAL MATCH (k:ConnectionKey {id: $id})
DELETE k
WITH count(*) AS keys
OPTIONAL MATCH (:Record {id: $source_id})-[e]-(:Record {id: $target_id})
WHERE e.connection_id = $id
DELETE e
RETURN count(e) AS edges
