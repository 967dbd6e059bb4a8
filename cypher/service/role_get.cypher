// One connection role by id.
// :params {id: "referral"}
MATCH (r:ConnectionRole {id: $id})
RETURN properties(r) AS role
