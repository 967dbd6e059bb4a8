// Identical active connections (same records, same roles, either direction): each group's ids.
// DISTINCT: an extra copy of one connection's edge is not a duplicate of it (check_connections
// reports it as extra edges).
// :params {limit: 1000}
MATCH (a:Record)-[e]->(b:Record)
WHERE e.side = 1 AND e.state = "active"
WITH CASE WHEN a.id < b.id
          THEN [a.id, coalesce(e.record1_role_id, ""), b.id, coalesce(e.record2_role_id, "")]
          ELSE [b.id, coalesce(e.record2_role_id, ""), a.id, coalesce(e.record1_role_id, "")]
     END AS pair, e.connection_id AS id
ORDER BY id
WITH pair, collect(DISTINCT id) AS ids
WHERE size(ids) > 1
RETURN ids
LIMIT $limit
