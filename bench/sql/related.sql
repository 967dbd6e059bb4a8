-- 1-hop: a record's active connections whose related record has the given role, in connection
-- id order, each with the related record and both roles' names (GET /records/{id}/connections).
-- The page is cut first (an ordered index-only range on connections_from), then joined.
WITH page AS (
    SELECT connectionid, record2_id, record2_role_id, record1_role_id, description,
           effective_start, effective_end
    FROM connections
    WHERE record1_id = %(id)s AND record2_role_id = %(role)s AND state = 'active'
    ORDER BY connectionid
    LIMIT %(limit)s
)
SELECT p.connectionid, p.record2_role_id, rr.name AS role_name, p.record1_role_id,
       orr.name AS own_role_name, p.description, p.effective_start, p.effective_end,
       r.id, r.type, r.name, r.city
FROM page p
JOIN records r ON r.id = p.record2_id
LEFT JOIN connection_roles rr ON rr.id = p.record2_role_id
LEFT JOIN connection_roles orr ON orr.id = p.record1_role_id
ORDER BY p.connectionid
