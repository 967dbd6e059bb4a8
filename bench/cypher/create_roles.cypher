// Bench baseline: create connection roles as given (no validation).
// :params {rows: [{id: "friend", name: "Friend", relationship_type: "FRIEND", category: "social", description: "a friend", record_types: ["contact"], reciprocal_role_id: "friend", acyclic: false}]}
UNWIND $rows AS row
CREATE (r:ConnectionRole)
SET r = row
RETURN count(r) AS created
