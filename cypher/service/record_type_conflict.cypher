// A connection whose role, on this record's side, does not apply to records of $type.
// :params {id: "john", type: "account"}
MATCH (:Record {id: $id})<-[e]-()
WITH e, CASE e.side WHEN 1 THEN e.record2_role_id ELSE e.record1_role_id END AS role_id
MATCH (r:ConnectionRole {id: role_id})
WHERE size(coalesce(r.record_types, [])) > 0 AND NOT $type IN r.record_types
RETURN e.connection_id AS connection_id, r.name AS role, r.record_types AS types
LIMIT 1
