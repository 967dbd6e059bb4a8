-- The upline: the chain back to the root through active connections of the reciprocal role
-- (one role's reach returns it next to the per-depth counts), as [id, type, name, city] rows.
WITH RECURSIVE up(id, depth, path) AS (
    SELECT %(id)s::text, 0, ARRAY[%(id)s::text]
    UNION ALL
    SELECT c.record2_id, u.depth + 1, u.path || c.record2_id
    FROM up u
    JOIN connections c ON c.record1_id = u.id AND c.record2_role_id = %(role)s
    WHERE u.depth < 10 AND c.state = 'active' AND c.record2_id <> ALL (u.path)
)
SELECT coalesce(json_agg(json_build_array(r.id, r.type, r.name, r.city) ORDER BY u.depth), '[]')
FROM up u JOIN records r ON r.id = u.id
WHERE u.depth > 0
