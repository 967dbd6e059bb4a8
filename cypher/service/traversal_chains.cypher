// Chains: simple paths (no record twice) from a record along edges of one role, outward only
// (each connection also has its reverse edge), min_depth..max_depth hops, every hop filtered by
// state and as_of. One round trip: the role ($role: id, name, or name ignoring case, in that
// order) is resolved here, and the roles come back to name each hop's roles. The `10` after
// `/*max_depth*/` is replaced by the validated max_depth (an integer 1..10) before the query
// runs, because hop bounds cannot be parameters and a length filter after the pattern does not
// prune the expansion.
// Timestamps leave as ISO strings: the driver hydrates zoned DateTimes slowly (~35 ms for 300
// records, PROFILE-equal queries), and pydantic parses the strings back in microseconds.
// :params {id: "c0000000", role: "Referral", min_depth: 1, limit: 101, state: "active", as_of: null}
CALL () {
  MATCH (role:ConnectionRole)
  RETURN collect(role {.id, .name, .relationship_type, .reciprocal_role_id}) AS roles
}
WITH roles, head([r IN roles WHERE r.id = $role] + [r IN roles WHERE r.name = $role]
                 + [r IN roles WHERE toLower(r.name) = toLower($role)]) AS found
OPTIONAL MATCH (start:Record {id: $id})
OPTIONAL CALL (start, found) {
  WITH start, found.relationship_type AS rel_type WHERE start IS NOT NULL AND rel_type IS NOT NULL
  MATCH p = (start)(()-[r WHERE type(r) = rel_type
                         AND ($state IS NULL OR r.state = $state)
                         AND ($as_of IS NULL OR ((r.effective_start IS NULL OR r.effective_start <= $as_of)
                                                 AND (r.effective_end IS NULL OR r.effective_end >= $as_of)))
                   ]->()){1,/*max_depth*/10}()
  WHERE length(p) >= $min_depth AND all(n IN nodes(p) WHERE single(m IN nodes(p) WHERE m = n))
  WITH p LIMIT $limit
  WITH collect(p) AS paths
  RETURN [p IN paths | {
           records: [n IN nodes(p) | n.id],
           hops: [r IN relationships(p) | [r.connection_id, type(r), r.side, r.record1_role_id, r.record2_role_id]]
         }] AS chains,
         COLLECT { UNWIND paths AS p UNWIND nodes(p)[1..] AS n WITH DISTINCT n RETURN n {.*, created_at: toString(n.created_at), updated_at: toString(n.updated_at)} } AS records
}
RETURN roles, found IS NOT NULL AS role_found,
       start {.*, created_at: toString(start.created_at), updated_at: toString(start.updated_at)} AS start,
       chains, records
