// Delete a role (the caller has checked no connection uses it) and release its reciprocal.
// :params {id: "referral"}
MATCH (r:ConnectionRole {id: $id})
OPTIONAL MATCH (partner:ConnectionRole {reciprocal_role_id: $id})
SET partner.reciprocal_role_id = null
DETACH DELETE r
RETURN count(*) AS deleted
