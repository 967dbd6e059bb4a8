// A loop of each acyclic role's relationship type, if it has one: its records and connections.
// :params {}
MATCH (r:ConnectionRole {acyclic: true})
CALL (r) {
  MATCH p = (x:Record)-[:$(r.relationship_type)]->+(x)
  RETURN [n IN nodes(p) | n.id] AS chain, [e IN relationships(p) | e.connection_id] AS ids
  LIMIT 1
}
RETURN r.id AS role_id, chain, ids
