// Replace a role's own properties (not its reciprocal: see role_set_reciprocal).
// :params {id: "referral", props: {name: "Referral", relationship_type: "REFERRAL", category: "sales", description: "", record_types: [], acyclic: true}}
MATCH (r:ConnectionRole {id: $id})
SET r += $props
RETURN properties(r) AS role
