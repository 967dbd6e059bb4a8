// Delete a record, both edges of each of its connections, and their key nodes.
// :params {id: "john"}
MATCH (n:Record {id: $id})
OPTIONAL MATCH (n)-[e]-()
WITH n, collect(DISTINCT e.connection_id) AS connection_ids
CALL (connection_ids) {
  UNWIND connection_ids AS connection_id
  MATCH (k:ConnectionKey {id: connection_id})
  DELETE k
}
DETACH DELETE n
RETURN size(connection_ids) AS connections
