// Every connection once, in id order, as the loader reads it (read from its record1 -> record2
// edge), for `graphsvc export connections` (streamed).
MATCH (k:ConnectionKey)
WHERE k.id >= ""
MATCH (:Record {id: k.record1_id})-[e {connection_id: k.id, side: 1}]->(:Record {id: k.record2_id})
RETURN k.id AS id, k.record1_id AS record1_id, k.record2_id AS record2_id,
       e.record1_role_id AS record1_role_id, e.record2_role_id AS record2_role_id,
       e.state AS state, coalesce(e.description, "") AS description,
       toString(e.effective_start) AS effective_start, toString(e.effective_end) AS effective_end
ORDER BY k.id
