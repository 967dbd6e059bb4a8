// Reach without a property filter (state any, no as_of): traversal_reach.cypher's answer, with
// the breadth-first search run inside the engine by APOC Core (apoc.path.spanningTree, bfs:
// each record once, at the depth it is first reached) instead of a Cypher reduce over depths.
// APOC's expanders filter edges by type only, so this file serves the searches that filter by
// nothing else; a state or as_of filter runs traversal_reach.cypher. Role resolution, upline and
// answer shape as there (one round trip).
// :params {id: "c0000000", role: null, max_depth: 3}
CALL () {
  MATCH (role:ConnectionRole)
  RETURN collect(role {.id, .name, .relationship_type, .reciprocal_role_id}) AS roles
}
WITH roles, head([r IN roles WHERE r.id = $role] + [r IN roles WHERE r.name = $role]
                 + [r IN roles WHERE toLower(r.name) = toLower($role)]) AS found
WITH found, $role IS NULL OR found IS NOT NULL AS role_found,
     head([r IN roles WHERE r.id = found.reciprocal_role_id AND r.id <> found.id | r.relationship_type]) AS upline_type
OPTIONAL MATCH (start:Record {id: $id})
OPTIONAL CALL (start, found, role_found) {
  WITH start, found WHERE start IS NOT NULL AND role_found
  // Relationship types come from validated role names (A-Z, 0-9, _): safe in APOC's filter.
  CALL apoc.path.spanningTree(start, {
    relationshipFilter: CASE WHEN found IS NULL THEN '>' ELSE found.relationship_type + '>' END,
    minLevel: 1, maxLevel: $max_depth, bfs: true
  }) YIELD path
  WITH length(path) AS depth, count(*) AS n
  RETURN collect([depth, n]) AS counts
}
WITH start, role_found, upline_type,
     [d IN range(1, $max_depth) | coalesce(head([c IN coalesce(counts, []) WHERE c[0] = d | c[1]]), 0)] AS per_depth
OPTIONAL CALL (start, upline_type) {
  WITH start, upline_type WHERE start IS NOT NULL AND upline_type IS NOT NULL
  MATCH p = ANY SHORTEST (start)(()-[u WHERE type(u) = upline_type]->()){1,10}(root)
  WHERE NOT EXISTS { (root)-[v WHERE type(v) = upline_type]->() }
  RETURN p
}
OPTIONAL CALL (start, upline_type, p) {
  WITH start, upline_type WHERE p IS NULL AND start IS NOT NULL AND upline_type IS NOT NULL
  MATCH q = (start)(()-[u WHERE type(u) = upline_type]->()){1,10}()
  RETURN q
  ORDER BY length(q) DESC
  LIMIT 1
}
RETURN role_found, start IS NOT NULL AS record_found, per_depth,
       coalesce([n IN nodes(coalesce(p, q))[1..] | n {.*, created_at: toString(n.created_at), updated_at: toString(n.updated_at)}], []) AS upline,
       q IS NOT NULL AS upline_truncated
