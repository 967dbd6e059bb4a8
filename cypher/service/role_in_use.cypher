// How many connections use a role (each connection has one edge of the role's type per side it fills).
// :params {relationship_type: "REFERRAL"}
MATCH ()-[e:$($relationship_type)]->()
RETURN count(DISTINCT e.connection_id) AS connections
