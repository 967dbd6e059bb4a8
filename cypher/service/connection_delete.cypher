// Delete a connection: both edges and its key node, in one transaction (which holds the key's
// lock, so the edges read here are the current ones).
// :params {id: "c1"}
MATCH (k:ConnectionKey {id: $id})
OPTIONAL MATCH (:Record {id: k.record1_id})-[e {connection_id: $id}]-(:Record {id: k.record2_id})
WITH k, collect(DISTINCT e) AS edges
FOREACH (e IN edges | DELETE e)
DELETE k
RETURN size(edges) AS edges
