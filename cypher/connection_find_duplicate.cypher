// An active connection between the same two records with the same roles, in either direction.
// :params {record1_id: "john", record2_id: "jane", record1_role_id: "referred-by", record2_role_id: "referral", exclude_id: null}
MATCH (a:Record {id: $record1_id})-[e]->(b:Record {id: $record2_id})
WHERE e.state = "active" AND e.connection_id <> coalesce($exclude_id, "")
  AND (
    (e.side = 1 AND coalesce(e.record1_role_id, "") = coalesce($record1_role_id, "")
                AND coalesce(e.record2_role_id, "") = coalesce($record2_role_id, ""))
    OR
    (e.side = 2 AND coalesce(e.record1_role_id, "") = coalesce($record2_role_id, "")
                AND coalesce(e.record2_role_id, "") = coalesce($record1_role_id, ""))
  )
RETURN e.connection_id AS connection_id
LIMIT 1
