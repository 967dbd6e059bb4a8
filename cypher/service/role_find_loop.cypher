// A loop of one relationship type (a role about to become acyclic must not have one).
// :params {relationship_type: "REFERRAL"}
MATCH p = (x:Record)-[:$($relationship_type)]->+(x)
RETURN [n IN nodes(p) | n.id] AS chain
LIMIT 1
