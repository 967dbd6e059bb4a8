// The chain that a new edge (from)-[:type]->(to) would close into a loop: a path of that type
// from `to` back to `from`. Used for acyclic roles such as Referral.
// :params {from_id: "john", to_id: "jane", relationship_type: "REFERRAL"}
MATCH (start:Record {id: $to_id}), (target:Record {id: $from_id})
MATCH p = SHORTEST 1 (start)-[:$($relationship_type)]->+(target)
RETURN [n IN nodes(p) | n.id] AS chain
