// Rewrite both edges of a connection with new types and properties, in one transaction (which
// holds the key, role and record locks), and return it as written. Relationship types cannot
// change in place, so the edges are replaced.
// :params {id: "c1", type_to_record2: "REFERRAL", type_to_record1: "REFERRED_BY", active_key: null, props: {state: "inactive"}}
MATCH (k:ConnectionKey {id: $id})
MATCH (a:Record {id: k.record1_id}), (b:Record {id: k.record2_id})
MATCH (a)-[old1 {connection_id: $id, side: 1}]->(b)
MATCH (b)-[old2 {connection_id: $id, side: 2}]->(a)
SET k.active_key = $active_key
CREATE (a)-[e1:$($type_to_record2)]->(b)
CREATE (b)-[e2:$($type_to_record1)]->(a)
SET e1 = properties(old1), e2 = properties(old2)
WITH a, b, e1, e2, old1, old2, datetime() AS now
SET e1 += $props, e2 += $props, e1.updated_at = now, e2.updated_at = now
DELETE old1, old2
RETURN properties(e1) AS edge, a {.id, .type, .name} AS record1, b {.id, .type, .name} AS record2
