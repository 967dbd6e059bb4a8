// A connection that gives the role (edges of its type point at the record it describes) to a
// record whose type is not in $types.
// :params {relationship_type: "EMPLOYEE", types: ["contact"]}
MATCH ()-[e:$($relationship_type)]->(y:Record)
WHERE NOT y.type IN $types
RETURN e.connection_id AS connection_id, y.id AS record_id, y.type AS record_type
LIMIT 1
