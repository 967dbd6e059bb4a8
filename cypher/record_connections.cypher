// A record's connections (its outgoing edges), each with the related record and both roles, in
// connection-id order after the cursor: one row back, so one round trip. No row: no such record.
// Timestamps come back as text; the Python driver's temporal types cost far more to build.
// :params {id: "john", relationship_type: null, record_type: null, state: "active", as_of: null, after: "", limit: 100}
MATCH (n:Record {id: $id})
OPTIONAL CALL (n) {
  MATCH (n)-[e]->(m:Record)
  WHERE ($relationship_type IS NULL OR type(e) = $relationship_type)
    AND ($record_type IS NULL OR m.type = $record_type)
    AND ($state IS NULL OR e.state = $state)
    AND ($as_of IS NULL OR ((e.effective_start IS NULL OR e.effective_start <= $as_of)
                            AND (e.effective_end IS NULL OR e.effective_end >= $as_of)))
    AND e.connection_id > $after
  WITH e, m
  ORDER BY e.connection_id
  LIMIT $limit
  WITH e, m,
       CASE e.side WHEN 1 THEN e.record2_role_id ELSE e.record1_role_id END AS related_role_id,
       CASE e.side WHEN 1 THEN e.record1_role_id ELSE e.record2_role_id END AS own_role_id
  OPTIONAL MATCH (related_role:ConnectionRole {id: related_role_id})
  OPTIONAL MATCH (own_role:ConnectionRole {id: own_role_id})
  RETURN collect({
    edge: e {.connection_id, .state, .description,
             effective_start: toString(e.effective_start), effective_end: toString(e.effective_end)},
    record: m {.*, created_at: toString(m.created_at), updated_at: toString(m.updated_at)},
    role: related_role {.id, .name}, own_role: own_role {.id, .name}
  }) AS items
}
RETURN items
