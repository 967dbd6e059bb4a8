// Network: the records within max_depth hops of a record along outgoing edges of the given roles
// ($roles: ids or names; null: every type), nearest first and capped at $limit records (the
// start included), and every matching edge between two of them (the caller keeps each
// connection once). Every hop is filtered by state and as_of. One round trip: the roles are
// resolved here (`found`: one entry per key, null for an unknown one, and then nothing is
// searched) and come back to name each hop's roles. A breadth-first search written out as a
// reduce over depths (see traversal_reach.cypher) that stops once more than $limit records are
// seen (which tells whether the cap cut the answer) and takes at most $limit new records per
// depth (a hub's thousands of neighbours are not all needed).
// Timestamps leave as ISO strings: the driver hydrates zoned DateTimes slowly (~35 ms for 300
// records, PROFILE-equal queries), and pydantic parses the strings back in microseconds.
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
WITH roles, found, start, types,
     CASE WHEN start IS NULL OR NOT roles_found THEN 0 ELSE $max_depth END AS max_depth
WITH roles, found, start, types, reduce(acc = {seen: [start], frontier: [start]}, depth IN range(1, max_depth) |
  CASE WHEN size(acc.frontier) = 0 OR size(acc.seen) > $limit THEN acc ELSE
    [next IN [COLLECT {
       UNWIND acc.frontier AS f
       MATCH (f)-[r WHERE (types IS NULL OR type(r) IN types)
                     AND ($state IS NULL OR r.state = $state)
                     AND ($as_of IS NULL OR ((r.effective_start IS NULL OR r.effective_start <= $as_of)
                                             AND (r.effective_end IS NULL OR r.effective_end >= $as_of)))
                ]->(x)
       WHERE NOT x IN acc.seen
       RETURN DISTINCT x
       LIMIT $limit
     }] | {seen: acc.seen + next, frontier: next}][0]
  END
).seen AS seen
WITH roles, found, start, types, size(seen) > $limit AS truncated, seen[0..$limit] AS kept
// The edges among the kept records, each read from its cheaper end: a record with more edges than
// there are kept records (a hub: an account's thousands of employees) is never expanded; its
// edges come from the other end's incoming edges, or, between two hubs, from Expand(Into).
WITH roles, found, start, types, truncated, kept,
     [n IN kept WHERE COUNT { (n)-->() } > size(kept)] AS hubs
CALL (kept, hubs, types) {
  CALL (kept, hubs, types) {
    UNWIND kept AS a
    WITH a WHERE NOT a IN hubs
    MATCH (a)-[r WHERE (types IS NULL OR type(r) IN types)
                  AND ($state IS NULL OR r.state = $state)
                  AND ($as_of IS NULL OR ((r.effective_start IS NULL OR r.effective_start <= $as_of)
                                          AND (r.effective_end IS NULL OR r.effective_end >= $as_of)))
           ]->(b)
    WHERE b IN kept
    RETURN a, r, b
    UNION ALL
    UNWIND kept AS b
    WITH b WHERE size(hubs) > 0 AND NOT b IN hubs
    MATCH (b)<-[r WHERE (types IS NULL OR type(r) IN types)
                  AND ($state IS NULL OR r.state = $state)
                  AND ($as_of IS NULL OR ((r.effective_start IS NULL OR r.effective_start <= $as_of)
                                          AND (r.effective_end IS NULL OR r.effective_end >= $as_of)))
           ]-(a)
    WHERE a IN hubs
    RETURN a, r, b
    UNION ALL
    UNWIND hubs AS a
    UNWIND hubs AS b
    WITH a, b WHERE a <> b  // a record is never connected to itself
    MATCH (a)-[r WHERE (types IS NULL OR type(r) IN types)
                  AND ($state IS NULL OR r.state = $state)
                  AND ($as_of IS NULL OR ((r.effective_start IS NULL OR r.effective_start <= $as_of)
                                          AND (r.effective_end IS NULL OR r.effective_end >= $as_of)))
           ]->(b)
    RETURN a, r, b
  }
  RETURN collect([r.connection_id, a.id, b.id, type(r), r.side, r.record1_role_id, r.record2_role_id]) AS edges
}
RETURN roles, found, start IS NOT NULL AS record_found, truncated,
       [n IN kept WHERE n IS NOT NULL | n {.*, created_at: toString(n.created_at), updated_at: toString(n.updated_at)}] AS records,
       edges
