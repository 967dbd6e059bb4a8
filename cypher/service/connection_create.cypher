// Create a connection: its key node and both edges, in the caller's transaction (which holds the
// role and record locks), and return it as written. `active_key` is unique (schema): Neo4j itself
// refuses a second identical active connection.
// :params {id: "c1", record1_id: "john", record2_id: "jane", type_to_record2: "REFERRAL", type_to_record1: "REFERRED_BY", active_key: "jane|referral|john|referred-by", props: {record1_role_id: "referred-by", record2_role_id: "referral", state: "active", description: "", effective_start: null, effective_end: null}}
WITH datetime() AS now
MATCH (a:Record {id: $record1_id}), (b:Record {id: $record2_id})
CREATE (:ConnectionKey {id: $id, record1_id: $record1_id, record2_id: $record2_id, active_key: $active_key})
CREATE (a)-[e1:$($type_to_record2)]->(b)
CREATE (b)-[e2:$($type_to_record1)]->(a)
SET e1 = $props, e2 = $props,
    e1.connection_id = $id, e2.connection_id = $id,
    e1.record1_id = $record1_id, e2.record1_id = $record1_id,
    e1.record2_id = $record2_id, e2.record2_id = $record2_id,
    e1.side = 1, e2.side = 2,
    e1.created_at = coalesce($props.created_at, now), e1.updated_at = coalesce($props.updated_at, now),
    e2.created_at = coalesce($props.created_at, now), e2.updated_at = coalesce($props.updated_at, now)
RETURN properties(e1) AS edge, a {.id, .type, .name} AS record1, b {.id, .type, .name} AS record2
