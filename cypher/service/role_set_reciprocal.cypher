// Make two roles each other's reciprocal (or clear it), releasing their former partners so the
// relation stays symmetric. A role may be its own reciprocal (Friend).
// :params {id: "referral", reciprocal_id: "referred-by"}
OPTIONAL MATCH (former:ConnectionRole)
WHERE former.reciprocal_role_id IN [$id, $reciprocal_id]
SET former.reciprocal_role_id = null
WITH count(*) AS released
MATCH (r:ConnectionRole {id: $id})
SET r.reciprocal_role_id = $reciprocal_id
WITH r
OPTIONAL MATCH (partner:ConnectionRole {id: $reciprocal_id})
SET partner.reciprocal_role_id = $id
RETURN r.id AS id
