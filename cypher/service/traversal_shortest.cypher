// Shortest path: one shortest path between two records along outgoing edges of the given roles
// ($roles null: any), every hop filtered by state and as_of; a record to itself is the path of
// length 0. The legacy shortestPath() runs a bidirectional breadth-first search with the
// per-relationship predicates applied while it expands (all(r IN rs WHERE ...)), so it never
// falls back to enumerating paths. Neo4j 5's SHORTEST 1 answered the same in ~50x the time at 1M
// records when the path crossed a 7,000-employee account (StatefulShortestPath(Into): 5 s with
// 44k db hits, against ShortestPath: 50 ms with 14k). The hop bound keeps "no path" from running
// unbounded: the `10` after `/*max_depth*/` is replaced by the validated max_depth (1..10).
// One round trip: the roles ($roles: ids or names; null: every type) are resolved here
// (`found`: one entry per key, null for an unknown one, and then nothing is searched) and come
// back to name each hop's roles.
// Timestamps leave as ISO strings: the driver hydrates zoned DateTimes slowly.
// :params {from: "c0000076", to: "c0007663", roles: null, state: "active", as_of: null, limit: 1}
CALL () {
  MATCH (role:ConnectionRole)
  RETURN collect(role {.id, .name, .relationship_type, .reciprocal_role_id}) AS roles
}
WITH roles, [key IN coalesce($roles, []) |
             head([r IN roles WHERE r.id = key] + [r IN roles WHERE r.name = key]
                  + [r IN roles WHERE toLower(r.name) = toLower(key)])] AS found
WITH roles, found, none(r IN found WHERE r IS NULL) AS roles_found,
     CASE WHEN $roles IS NULL THEN null ELSE [r IN found | r.relationship_type] END AS types
OPTIONAL MATCH (a:Record {id: $from})
OPTIONAL MATCH (b:Record {id: $to})
OPTIONAL CALL (a, b, roles_found, types) {
  WITH a, b, types WHERE a <> b AND roles_found
  MATCH p = shortestPath((a)-[rs*1../*max_depth*/10]->(b))
  WHERE all(r IN rs WHERE (types IS NULL OR type(r) IN types)
                      AND ($state IS NULL OR r.state = $state)
                      AND ($as_of IS NULL OR ((r.effective_start IS NULL OR r.effective_start <= $as_of)
                                              AND (r.effective_end IS NULL OR r.effective_end >= $as_of))))
  RETURN p
  UNION ALL
  WITH a, b WHERE a = b
  MATCH p = (a)
  RETURN p
}
WITH roles, found, a, b, collect(p)[0..$limit] AS paths
RETURN roles, found, a IS NOT NULL AS from_found, b IS NOT NULL AS to_found,
       [p IN paths | {
         records: [n IN nodes(p) | n.id],
         hops: [r IN relationships(p) | [r.connection_id, type(r), r.side, r.record1_role_id, r.record2_role_id]]
       }] AS paths,
       COLLECT {
         UNWIND paths AS p UNWIND nodes(p) AS n WITH DISTINCT n
         RETURN n {.*, created_at: toString(n.created_at), updated_at: toString(n.updated_at)}
       } AS records
