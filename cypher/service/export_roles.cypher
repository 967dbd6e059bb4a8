// Every connection role in id order, as the loader reads it, for `graphsvc export roles`.
MATCH (r:ConnectionRole)
RETURN r.id AS id, r.name AS name, r.category AS category, coalesce(r.description, "") AS description,
       coalesce(r.record_types, []) AS record_types, r.reciprocal_role_id AS reciprocal_role_id,
       coalesce(r.acyclic, false) AS acyclic
ORDER BY r.id
