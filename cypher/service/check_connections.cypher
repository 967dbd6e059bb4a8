// Audit a page of connections (by key id): the problems of each, or nothing when it is whole.
// A whole connection has both records, exactly two edges (side 1 from record1 typed by record2's
// role, side 2 back typed by record1's role), known role ids and identical properties but `side`,
// roles that apply to their records' types, and the key's `active_key` (graphsvc/rules.py) current.
// :params {after: "", limit: 20000}
MATCH (k:ConnectionKey)
WHERE k.id > $after
WITH k ORDER BY k.id LIMIT $limit
OPTIONAL MATCH (a:Record {id: k.record1_id})
OPTIONAL MATCH (b:Record {id: k.record2_id})
CALL (k, a, b) {
  OPTIONAL MATCH (a)-[e]-(b)
  WHERE e.connection_id = k.id
  RETURN collect(e) AS edges
}
WITH k, a, b, edges,
     [e IN edges WHERE e.side = 1 AND startNode(e) = a] AS ones,
     [e IN edges WHERE e.side = 2 AND startNode(e) = b] AS twos
WITH k, a, b, edges, ones, twos, ones[0] AS e1, twos[0] AS e2
OPTIONAL MATCH (role1:ConnectionRole {id: e1.record1_role_id})
OPTIONAL MATCH (role2:ConnectionRole {id: e1.record2_role_id})
WITH k, a, b, edges, ones, twos, e1, e2, role1, role2,
     CASE WHEN e1.state = "active" THEN
       CASE WHEN k.record1_id < k.record2_id
         THEN k.record1_id + "|" + coalesce(e1.record1_role_id, "") + "|" + k.record2_id + "|" + coalesce(e1.record2_role_id, "")
         ELSE k.record2_id + "|" + coalesce(e1.record2_role_id, "") + "|" + k.record1_id + "|" + coalesce(e1.record1_role_id, "")
       END
     END AS active_key
WITH k, edges, ones, twos, e1, e2, role1, role2, [
  CASE WHEN a IS NOT NULL AND size(coalesce(role1.record_types, [])) > 0 AND NOT a.type IN role1.record_types
       THEN "role " + role1.id + " does not apply to " + a.id + ", a " + a.type END,
  CASE WHEN b IS NOT NULL AND size(coalesce(role2.record_types, [])) > 0 AND NOT b.type IN role2.record_types
       THEN "role " + role2.id + " does not apply to " + b.id + ", a " + b.type END,
  CASE WHEN e1 IS NOT NULL AND coalesce(k.active_key, "") <> coalesce(active_key, "")
       THEN "active key out of date" END,
  CASE WHEN a IS NULL OR b IS NULL THEN "missing record" END,
  CASE WHEN a IS NOT NULL AND b IS NOT NULL AND size(edges) = 0 THEN "no edges" END,
  // half: a side missing; two copies of a side are extra edges, not half a pair
  CASE WHEN size(edges) > 0 AND (size(ones) = 0 OR size(twos) = 0) THEN "half pair" END,
  CASE WHEN size(edges) <> size(ones) + size(twos) OR size(ones) > 1 OR size(twos) > 1
       THEN "extra edges" END,
  CASE WHEN e1 IS NOT NULL AND e1.record1_role_id IS NOT NULL AND role1 IS NULL
       THEN "unknown role " + e1.record1_role_id END,
  CASE WHEN e1 IS NOT NULL AND e1.record2_role_id IS NOT NULL AND role2 IS NULL
       THEN "unknown role " + e1.record2_role_id END,
  CASE WHEN e1 IS NOT NULL AND (role2 IS NOT NULL OR e1.record2_role_id IS NULL)
        AND type(e1) <> coalesce(role2.relationship_type, "CONNECTED_TO") THEN "wrong type" END,
  CASE WHEN e2 IS NOT NULL AND e1 IS NOT NULL AND (role1 IS NOT NULL OR e1.record1_role_id IS NULL)
        AND type(e2) <> coalesce(role1.relationship_type, "CONNECTED_TO") THEN "wrong type" END,
  CASE WHEN e1 IS NOT NULL AND e2 IS NOT NULL AND NOT (
         size(keys(e1)) = size(keys(e2))
         AND all(key IN keys(e1) WHERE key = "side" OR e1[key] = e2[key]))
       THEN "properties differ" END
] AS problems
WITH k, [p IN problems WHERE p IS NOT NULL] AS problems
RETURN k.id AS connection_id, problems, k.id AS last_id
ORDER BY k.id
