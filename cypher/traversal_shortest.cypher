// Shortest path: one shortest path between two records along outgoing edges of the given types
// ($types null: any), every hop filtered by state and as_of. Both endpoints are bound first, so
// SHORTEST runs as a bidirectional search; the hop bound keeps "no path" from running unbounded.
// The `10` after `/*max_depth*/` is replaced by the validated max_depth (an integer 1..10).
// :params {from: "c0000000", to: "c0000031", types: null, state: "active", as_of: null, limit: 1}
OPTIONAL MATCH (a:Record {id: $from})
OPTIONAL MATCH (b:Record {id: $to})
CALL (a, b) {
  WITH a, b WHERE a IS NOT NULL AND b IS NOT NULL
  MATCH p = SHORTEST 1 (a)(()-[r WHERE ($types IS NULL OR type(r) IN $types)
                                 AND ($state IS NULL OR r.state = $state)
                                 AND ($as_of IS NULL OR ((r.effective_start IS NULL OR r.effective_start <= $as_of)
                                                         AND (r.effective_end IS NULL OR r.effective_end >= $as_of)))
                           ]->()){0,/*max_depth*/10}(b)
  WITH p LIMIT $limit
  WITH collect(p) AS paths
  RETURN [p IN paths | {
           records: [n IN nodes(p) | n.id],
           hops: [r IN relationships(p) | [r.connection_id, type(r), r.side, r.record1_role_id, r.record2_role_id]]
         }] AS paths,
         COLLECT { UNWIND paths AS p UNWIND nodes(p) AS n WITH DISTINCT n RETURN properties(n) } AS records
}
RETURN a IS NOT NULL AS from_found, b IS NOT NULL AS to_found, paths, records
