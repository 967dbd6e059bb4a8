// One connection by id, read from its record1 -> record2 edge, with both records and roles.
// :params {id: "c1"}
MATCH (k:ConnectionKey {id: $id})
MATCH (a:Record {id: k.record1_id})-[e {connection_id: $id, side: 1}]->(b:Record {id: k.record2_id})
OPTIONAL MATCH (role1:ConnectionRole {id: e.record1_role_id})
OPTIONAL MATCH (role2:ConnectionRole {id: e.record2_role_id})
RETURN properties(e) AS edge,
       a {.id, .type, .name} AS record1, b {.id, .type, .name} AS record2,
       role1 {.id, .name} AS role1, role2 {.id, .name} AS role2
