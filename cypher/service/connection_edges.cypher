// Both edges of a connection with their endpoints (for updates that may retype them).
// :params {id: "c1"}
MATCH (k:ConnectionKey {id: $id})
MATCH (a:Record {id: k.record1_id})-[e {connection_id: $id}]-(b:Record {id: k.record2_id})
RETURN DISTINCT properties(e) AS edge, type(e) AS type
