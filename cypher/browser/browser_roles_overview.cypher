// Browser guide: every connection role, its relationship type, its reciprocal, and its edges.
// :params {}
MATCH (role:ConnectionRole)
OPTIONAL MATCH (reciprocal:ConnectionRole {id: role.reciprocal_role_id})
CALL (role) {
  MATCH ()-[edge:$(role.relationship_type)]->()
  RETURN count(edge) AS edges, count(CASE edge.state WHEN 'active' THEN 1 END) AS active_edges
}
RETURN role.name AS role, role.relationship_type AS relationship_type, role.category AS category,
       reciprocal.name AS reciprocal, role.acyclic AS acyclic, edges, active_edges
ORDER BY role.category, role.name
