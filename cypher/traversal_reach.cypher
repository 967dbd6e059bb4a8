// Reach: how many distinct records are first reached at each depth 1..max_depth along outgoing
// edges of the given types ($types null: any type), and the upline: the shortest chain of
// $upline_type edges (the reciprocal role) from the record to a root, a record with no such edge
// ($upline_type null: none), at most 10 hops (longer: its nearest 10 hops and upline_truncated).
// Every hop is filtered by state and as_of.
// The breadth-first search is written out as a reduce over depths, one frontier expansion per
// depth that skips records already seen (`IN` on a list is a hash lookup): each edge is read
// once. ANY SHORTEST to every reachable record gives the same counts but was 4-5x slower on
// hubs, and max_depth stays a parameter.
// Timestamps leave as ISO strings: the driver hydrates zoned DateTimes slowly (~35 ms for 300
// records, PROFILE-equal queries), and pydantic parses the strings back in microseconds.
// :params {id: "c0000000", max_depth: 6, types: ["REFERRAL"], upline_type: "REFERRED_BY", state: "active", as_of: null}
MATCH (start:Record {id: $id})
WITH start, reduce(acc = {seen: [start], frontier: [start], per_depth: []}, depth IN range(1, $max_depth) |
  CASE WHEN size(acc.frontier) = 0 THEN acc ELSE
    [next IN [COLLECT {
       UNWIND acc.frontier AS f
       MATCH (f)-[r WHERE ($types IS NULL OR type(r) IN $types)
                     AND ($state IS NULL OR r.state = $state)
                     AND ($as_of IS NULL OR ((r.effective_start IS NULL OR r.effective_start <= $as_of)
                                             AND (r.effective_end IS NULL OR r.effective_end >= $as_of)))
                ]->(x)
       WHERE NOT x IN acc.seen
       RETURN DISTINCT x
     }] | {seen: acc.seen + next, frontier: next, per_depth: acc.per_depth + [size(next)]}][0]
  END
).per_depth AS per_depth
CALL (start) {
  OPTIONAL MATCH p = ANY SHORTEST (start)(()-[u WHERE type(u) = $upline_type
                                               AND ($state IS NULL OR u.state = $state)
                                               AND ($as_of IS NULL OR ((u.effective_start IS NULL OR u.effective_start <= $as_of)
                                                                       AND (u.effective_end IS NULL OR u.effective_end >= $as_of)))
                                         ]->()){1,10}(root)
  WHERE NOT EXISTS {
    (root)-[v WHERE type(v) = $upline_type
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
OPTIONAL CALL (start, p) {
  WITH start WHERE p IS NULL
  MATCH q = (start)(()-[u WHERE type(u) = $upline_type
                         AND ($state IS NULL OR u.state = $state)
                         AND ($as_of IS NULL OR ((u.effective_start IS NULL OR u.effective_start <= $as_of)
                                                 AND (u.effective_end IS NULL OR u.effective_end >= $as_of)))
                   ]->()){1,10}()
  RETURN q
  ORDER BY length(q) DESC
  LIMIT 1
}
RETURN per_depth,
       coalesce([n IN nodes(coalesce(p, q))[1..] | n {.*, created_at: toString(n.created_at), updated_at: toString(n.updated_at)}], []) AS upline,
       q IS NOT NULL AS upline_truncated
