// A page of connections across records, each once (read from its record1 -> record2 edge), in
// connection-id order after the cursor, with both records and roles. Filters: roles on either
// side, a record type on either side, state, effective on a date, changed since a time.
// :params {role_ids: null, record_type: null, state: "active", as_of: null, changed_since: null, after: "", limit: 100}
MATCH (k:ConnectionKey)
WHERE k.id > $after
MATCH (a:Record {id: k.record1_id})-[e {connection_id: k.id, side: 1}]->(b:Record {id: k.record2_id})
WHERE ($role_ids IS NULL OR e.record1_role_id IN $role_ids OR e.record2_role_id IN $role_ids)
  AND ($record_type IS NULL OR a.type = $record_type OR b.type = $record_type)
  AND ($state IS NULL OR e.state = $state)
  AND ($as_of IS NULL OR ((e.effective_start IS NULL OR e.effective_start <= $as_of)
                          AND (e.effective_end IS NULL OR e.effective_end >= $as_of)))
  AND ($changed_since IS NULL OR e.updated_at >= $changed_since)
WITH k, a, b, e
ORDER BY k.id
LIMIT $limit
OPTIONAL MATCH (role1:ConnectionRole {id: e.record1_role_id})
OPTIONAL MATCH (role2:ConnectionRole {id: e.record2_role_id})
RETURN properties(e) AS edge,
       a {.id, .type, .name} AS record1, b {.id, .type, .name} AS record2,
       role1 {.id, .name} AS role1, role2 {.id, .name} AS role2
ORDER BY k.id
