// A record's connections (its outgoing edges), each with the related record and both roles' ids,
// in connection-id order after the cursor, and the connection roles (to name them): one row, one
// round trip. $role (the related record's role: id, name, or name ignoring case) is resolved
// here; role_found false: no such role; record_found false: no such record.
// The page comes off the key nodes' (record1_id, id) and (record2_id, id) indexes
// (schema/003_read_indexes.cypher), already in id order: each side reads keys in order until
// $limit edges pass the filters, and each key's edge is found from the related record
// (Expand(Into) starts at the smaller degree), so a hub's first page costs the same as anyone's
// instead of a sort of all its edges. The two sides' pages are merged by the final ORDER BY.
// Timestamps come back as text; the Python driver's temporal types cost far more to build.
// :params {id: "john", role: null, record_type: null, state: "active", as_of: null, after: "", limit: 101}
CALL () {
  MATCH (role:ConnectionRole)
  RETURN collect(role {.id, .name, .relationship_type}) AS roles
}
WITH roles, head([r IN roles WHERE r.id = $role] + [r IN roles WHERE r.name = $role]
                 + [r IN roles WHERE toLower(r.name) = toLower($role)]) AS found
WITH roles, $role IS NULL OR found IS NOT NULL AS role_found, found.relationship_type AS rel_type
OPTIONAL MATCH (n:Record {id: $id})
OPTIONAL CALL (n, role_found, rel_type) {
  WITH n, rel_type WHERE n IS NOT NULL AND role_found
  CALL (n, rel_type) {
    MATCH (k:ConnectionKey)
    USING INDEX k:ConnectionKey(record1_id, id)
    WHERE k.record1_id = $id AND k.id > $after
    CALL (n, k, rel_type) {
      MATCH (m:Record {id: k.record2_id})
      MATCH (n)-[e]->(m)
      WHERE e.connection_id = k.id
        AND (rel_type IS NULL OR type(e) = rel_type)
        AND ($record_type IS NULL OR m.type = $record_type)
        AND ($state IS NULL OR e.state = $state)
        AND ($as_of IS NULL OR ((e.effective_start IS NULL OR e.effective_start <= $as_of)
                                AND (e.effective_end IS NULL OR e.effective_end >= $as_of)))
      RETURN e, m
    }
    WITH k, e, m ORDER BY k.record1_id, k.id LIMIT $limit
    RETURN e, m
    UNION ALL
    MATCH (k:ConnectionKey)
    USING INDEX k:ConnectionKey(record2_id, id)
    WHERE k.record2_id = $id AND k.id > $after
    CALL (n, k, rel_type) {
      MATCH (m:Record {id: k.record1_id})
      MATCH (n)-[e]->(m)
      WHERE e.connection_id = k.id
        AND (rel_type IS NULL OR type(e) = rel_type)
        AND ($record_type IS NULL OR m.type = $record_type)
        AND ($state IS NULL OR e.state = $state)
        AND ($as_of IS NULL OR ((e.effective_start IS NULL OR e.effective_start <= $as_of)
                                AND (e.effective_end IS NULL OR e.effective_end >= $as_of)))
      RETURN e, m
    }
    WITH k, e, m ORDER BY k.record2_id, k.id LIMIT $limit
    RETURN e, m
  }
  WITH e, m ORDER BY e.connection_id LIMIT $limit
  RETURN collect([e.connection_id, e.side, e.record1_role_id, e.record2_role_id, e.state,
                  e.description, toString(e.effective_start), toString(e.effective_end),
                  m {.*, created_at: toString(m.created_at), updated_at: toString(m.updated_at)}]) AS items
}
RETURN roles, role_found, n IS NOT NULL AS record_found, coalesce(items, []) AS items
