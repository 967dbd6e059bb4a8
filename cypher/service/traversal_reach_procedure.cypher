// Reach: traversal_reach.cypher's answer (role resolution, per-depth counts, upline, shape) with
// the breadth-first search run inside the engine by graphsvc's own procedure (procedures/,
// graphsvc.reach: the same edge filters, each record counted once at the depth it is first
// reached) instead of a Cypher reduce over depths; APOC's expanders cannot filter by state or
// as_of. traversal_reach.cypher answers when the procedure is not installed.
// :params {id: "c0000000", role: "Referral", max_depth: 6, state: "active", as_of: null}
CALL () {
  MATCH (role:ConnectionRole)
  RETURN collect(role {.id, .name, .relationship_type, .reciprocal_role_id}) AS roles
}
WITH roles, head([r IN roles WHERE r.id = $role] + [r IN roles WHERE r.name = $role]
                 + [r IN roles WHERE toLower(r.name) = toLower($role)]) AS found
WITH found, $role IS NULL OR found IS NOT NULL AS role_found,
     CASE WHEN $role IS NULL THEN null ELSE [found.relationship_type] END AS types,
     head([r IN roles WHERE r.id = found.reciprocal_role_id AND r.id <> found.id | r.relationship_type]) AS upline_type
OPTIONAL MATCH (start:Record {id: $id})
OPTIONAL CALL (start, role_found, types) {
  WITH start, types WHERE start IS NOT NULL AND role_found
  CALL graphsvc.reach(start, types, $max_depth, $state, $as_of) YIELD perDepth
  RETURN perDepth
}
WITH start, role_found, upline_type, coalesce(perDepth, []) AS per_depth
OPTIONAL CALL (start, upline_type) {
  WITH start, upline_type WHERE start IS NOT NULL AND upline_type IS NOT NULL
  MATCH p = ANY SHORTEST (start)(()-[u WHERE type(u) = upline_type
                                      AND ($state IS NULL OR u.state = $state)
                                      AND ($as_of IS NULL OR ((u.effective_start IS NULL OR u.effective_start <= $as_of)
                                                              AND (u.effective_end IS NULL OR u.effective_end >= $as_of)))
                                ]->()){1,10}(root)
  WHERE NOT EXISTS {
    (root)-[v WHERE type(v) = upline_type
              AND ($state IS NULL OR v.state = $state)
              AND ($as_of IS NULL OR ((v.effective_start IS NULL OR v.effective_start <= $as_of)
                                      AND (v.effective_end IS NULL OR v.effective_end >= $as_of)))
           ]->()
  }
  RETURN p
}
// No root within 10 hops: the upline goes on further (or loops), so its longest part within 10
// hops comes back, marked truncated (an empty upline would read as "no referrer"). Only then
// are the trails enumerated; an upline is usually a single line, so they are few.
OPTIONAL CALL (start, upline_type, p) {
  WITH start, upline_type WHERE p IS NULL AND start IS NOT NULL AND upline_type IS NOT NULL
  MATCH q = (start)(()-[u WHERE type(u) = upline_type
                         AND ($state IS NULL OR u.state = $state)
                         AND ($as_of IS NULL OR ((u.effective_start IS NULL OR u.effective_start <= $as_of)
                                                 AND (u.effective_end IS NULL OR u.effective_end >= $as_of)))
                   ]->()){1,10}()
  RETURN q
  ORDER BY length(q) DESC
  LIMIT 1
}
RETURN role_found, start IS NOT NULL AS record_found, per_depth,
       coalesce([n IN nodes(coalesce(p, q))[1..] | n {.*, created_at: toString(n.created_at), updated_at: toString(n.updated_at)}], []) AS upline,
       q IS NOT NULL AS upline_truncated
