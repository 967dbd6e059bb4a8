-- Reach as one recursive CTE: records first reached at each depth 1..max_depth along active
-- connections whose related record has one of `roles`. UNION (not UNION ALL) on (id, depth)
-- de-duplicates every level, so a level is a set of distinct records, not of paths; the depth
-- bound stops it (and with it the cycles, which only re-reach records at later depths).
WITH RECURSIVE walk(id, depth) AS (
    SELECT %(id)s::text, 0
    UNION
    SELECT c.record2_id, w.depth + 1
    FROM walk w
    JOIN connections c ON c.record1_id = w.id AND c.record2_role_id = ANY (%(roles)s::text[])
    WHERE w.depth < %(max_depth)s AND c.state = 'active'
),
first AS (
    SELECT id, min(depth) AS depth FROM walk GROUP BY id
)
SELECT coalesce(array_agg(n ORDER BY depth), '{}') AS per_depth
FROM (SELECT depth, count(*)::int AS n FROM first WHERE depth > 0 GROUP BY depth) d
