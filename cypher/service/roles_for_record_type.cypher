// The roles a record's change of type to $type could break: those restricted to other types,
// and those its connections already use (a narrowing may be under way). Locked before the record.
// :params {id: "john", type: "account"}
MATCH (r:ConnectionRole)
WHERE size(coalesce(r.record_types, [])) > 0 AND NOT $type IN r.record_types
RETURN r.id AS id
UNION
MATCH (:Record {id: $id})<-[e]-()
WITH CASE e.side WHEN 1 THEN e.record2_role_id ELSE e.record1_role_id END AS id
WHERE id IS NOT NULL
RETURN id
