// Reach: how many distinct records are first reached at each depth 1..max_depth along outgoing
// edges of one role ($role: id, name, or name ignoring case; null: every type), and the upline:
// the shortest chain of the reciprocal role's edges from the record to a root, a record with no
// such edge (none without a role or for a symmetric role such as Friend), at most 10 hops (longer:
// its nearest 10 hops and upline_truncated). Every
// hop is filtered by state and as_of. One round trip: the role is resolved here.
// The breadth-first search is written out as a reduce over depths, one frontier expansion per
// depth that skips records already seen (`IN` on a list is a hash lookup): each edge is read
// once. ANY SHORTEST to every reachable record gives the same counts but was 4-5x slower on
// hubs, and max_depth stays a parameter.
// Timestamps leave as ISO strings: the driver hydrates zoned DateTimes slowly (~35 ms for 300
// records, PROFILE-equal queries), and pydantic parses the strings back in microseconds.
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
WITH start, role_found, types, upline_type,
     CASE WHEN start IS NULL OR NOT role_found THEN 0 ELSE $max_depth END AS max_depth
WITH start, role_found, upline_type, reduce(acc = {seen: [start], frontier: [start], per_depth: []}, depth IN range(1, max_depth) |
  CASE WHEN size(acc.frontier) = 0 THEN acc ELSE
    [next IN [COLLECT {
       UNWIND acc.frontier AS f
       MATCH (f)-[r WHERE (types IS NULL OR type(r) IN types)
                     AND ($state IS NULL OR r.state = $state)
                     AND ($as_of IS NULL OR ((r.effective_start IS NULL OR r.effective_start <= $as_of)
                                             AND (r.effective_end IS NULL OR r.effective_end >= $as_of)))
                ]->(x)
       WHERE NOT x IN acc.seen
       RETURN DISTINCT x
     }] | {seen: acc.seen + next, frontier: next, per_depth: acc.per_depth + [size(next)]}][0]
  END
).per_depth AS per_depth
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
