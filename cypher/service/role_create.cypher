// Create a connection role; unique constraints reject a duplicate id or relationship type.
// :params {props: {id: "referral", name: "Referral", relationship_type: "REFERRAL", category: "sales", description: "", record_types: [], reciprocal_role_id: null, acyclic: true}}
CREATE (r:ConnectionRole)
SET r = $props
RETURN properties(r) AS role
