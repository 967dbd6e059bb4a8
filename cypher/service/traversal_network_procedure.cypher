// Network: traversal_network.cypher's answer (role resolution, records nearest first and capped
// at $limit with the start included, the matching edges among them, truncated) with the
// breadth-first search and the edge search run inside the engine by graphsvc's own procedure
// (procedures/, graphsvc.network), which keeps the seen and kept records in hash sets where the
// Cypher reduce scans lists. The procedure hands records and edges over in the answer's shape
// (records as the Record model, each connection once in connection id order): projecting them here
// was half of the server's time. traversal_network.cypher answers when the procedure is not
// installed (in its own shape, which graphsvc/graph/traversals.py converts).
// :params {id: "c0000000", roles: null, max_depth: 2, state: "active", as_of: null, limit: 300}
CALL () {
  MATCH (role:ConnectionRole)
  RETURN collect(role {.id, .name, .relationship_type, .reciprocal_role_id}) AS roles
}
WITH roles, [key IN coalesce($roles, []) |
             head([r IN roles WHERE r.id = key] + [r IN roles WHERE r.name = key]
                  + [r IN roles WHERE toLower(r.name) = toLower(key)])] AS found
WITH roles, found, none(r IN found WHERE r IS NULL) AS roles_found,
     CASE WHEN $roles IS NULL THEN null ELSE [r IN found | r.relationship_type] END AS types
OPTIONAL MATCH (start:Record {id: $id})
OPTIONAL CALL (start, roles_found, types) {
  WITH start, types WHERE start IS NOT NULL AND roles_found
  CALL graphsvc.network(start, types, $max_depth, $state, $as_of, $limit)
    YIELD records, edges, truncated
  RETURN records, edges, truncated
}
RETURN roles, found, start IS NOT NULL AS record_found, coalesce(truncated, false) AS truncated,
       coalesce(records, []) AS records, coalesce(edges, []) AS edges
