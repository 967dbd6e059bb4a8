// Create connections that batch_connections_classify found free to create (each id and
// active_key once in the batch): per row the key node and both edges, as
// batch_connections_upsert creates them. Returns how many rows it created: fewer than it was
// given means a record was deleted meanwhile, and the caller rolls the batch back.
// :params {rows: [{index: 0, id: "c1", record1_id: "john", record2_id: "jane", type1: "REFERRED_BY", type2: "REFERRAL", active_key: "jane|referral|john|referred-by", props: {connection_id: "c1", record1_id: "john", record2_id: "jane", record1_role_id: "referred-by", record2_role_id: "referral", state: "active", description: "", effective_start: null, effective_end: null}}]}
WITH datetime() AS now
UNWIND $rows AS row
MATCH (a:Record {id: row.record1_id})
MATCH (b:Record {id: row.record2_id})
WITH now, row, row.props AS props, a, b
CREATE (:ConnectionKey {id: row.id, record1_id: row.record1_id, record2_id: row.record2_id,
                        active_key: row.active_key}),
       (a)-[e1:$(row.type2)]->(b), (b)-[e2:$(row.type1)]->(a)
SET e1 = props {.*, side: 1, created_at: now, updated_at: now},
    e2 = props {.*, side: 2, created_at: now, updated_at: now}
RETURN count(*) AS created
