-- 1-hop: a record's active connections whose related record has the given role, in connection
-- id order, each with the related record and both roles' names (GET /records/{id}/connections).
SELECT c.connectionid, c.record2_role_id, rr.name AS role_name, c.record1_role_id,
       orr.name AS own_role_name, c.description, c.effective_start, c.effective_end,
       r.id, r.type, r.name, r.city
FROM connections c
JOIN records r ON r.id = c.record2_id
LEFT JOIN connection_roles rr ON rr.id = c.record2_role_id
LEFT JOIN connection_roles orr ON orr.id = c.record1_role_id
WHERE c.record1_id = %(id)s AND c.record2_role_id = %(role)s AND c.state = 'active'
ORDER BY c.connectionid
LIMIT %(limit)s
