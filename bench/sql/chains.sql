-- Chains: simple paths from a record along active connections of one role, outward,
-- min_depth..max_depth hops, at most `limit` of them, with the distinct records on them.
-- Depth bound in the recursive term; cycle guard: a path never revisits a record.
WITH RECURSIVE chain(id, depth, path, conns) AS (
    SELECT %(id)s::text, 0, ARRAY[%(id)s::text], ARRAY[]::text[]
    UNION ALL
    SELECT c.record2_id, ch.depth + 1, ch.path || c.record2_id, ch.conns || c.connectionid
    FROM chain ch
    JOIN connections c ON c.record1_id = ch.id AND c.record2_role_id = %(role)s
    WHERE ch.depth < %(max_depth)s
      AND c.state = 'active'
      AND c.record2_id <> ALL (ch.path)
),
kept AS (
    SELECT path, conns FROM chain WHERE depth >= %(min_depth)s LIMIT %(limit)s
)
SELECT (SELECT coalesce(json_agg(json_build_array(path, conns)), '[]') FROM kept) AS chains,
       (SELECT coalesce(json_agg(json_build_array(r.id, r.type, r.name, r.city)), '[]')
        FROM records r
        WHERE r.id IN (SELECT unnest(path[2:]) FROM kept)) AS records
