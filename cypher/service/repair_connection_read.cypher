// Every edge carrying a connection id between two records, for rebuilding that connection.
// :params {id: "c1", source_id: "john", target_id: "jane"}
MATCH (a:Record {id: $source_id})-[e]-(b:Record {id: $target_id})
WHERE e.connection_id = $id
RETURN DISTINCT properties(e) AS edge, startNode(e).id AS start_id
