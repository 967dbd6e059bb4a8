// Bench only (bench/compare.py): 1-hop related records by role with exactly the columns
// bench/sql/related.sql returns, as ONE row of lists instead of a row per connection with whole
// property maps: the floor GET /records/{id}/connections could reach through the driver.
// :params {id: "c0000000", relationship_type: "REFERRAL", limit: 100}
MATCH (:Record {id: $id})-[e:$($relationship_type)]->(m:Record)
WHERE e.state = 'active'
WITH e, m
ORDER BY e.connection_id
LIMIT $limit
WITH collect([e.connection_id,
              CASE e.side WHEN 1 THEN e.record2_role_id ELSE e.record1_role_id END,
              CASE e.side WHEN 1 THEN e.record1_role_id ELSE e.record2_role_id END,
              e.description, e.effective_start, e.effective_end,
              m.id, m.type, m.name, m.city]) AS rows
MATCH (role:ConnectionRole)
RETURN rows, collect([role.id, role.name]) AS roles
