// Roles whose reciprocal is missing or does not point back.
MATCH (r:ConnectionRole)
WHERE r.reciprocal_role_id IS NOT NULL
OPTIONAL MATCH (partner:ConnectionRole {id: r.reciprocal_role_id})
WITH r, partner
WHERE partner IS NULL OR partner.reciprocal_role_id IS NULL OR partner.reciprocal_role_id <> r.id
RETURN r.id AS role_id, r.reciprocal_role_id AS reciprocal_role_id,
       partner IS NULL AS partner_missing, partner.reciprocal_role_id AS partner_points_to
