// Bench baseline: create connections as one plain UNWIND batch (no validation): per row the key
// node (with its active_key, unique in the schema, as every write path keeps it) and both edges,
// in the shape of README "Data model in Neo4j".
// :params {rows: [{id: "ref-0000001", record1_id: "c0000000", record2_id: "c0000001", type_to_record2: "REFERRAL", type_to_record1: "REFERRED_BY", record1_role_id: "referred-by", record2_role_id: "referral", active_key: "c0000000|referred-by|c0000001|referral", state: "active", description: null, effective_start: "2020-01-31", effective_end: null}]}
WITH datetime() AS now
UNWIND $rows AS row
MATCH (a:Record {id: row.record1_id})
MATCH (b:Record {id: row.record2_id})
CREATE (:ConnectionKey {id: row.id, record1_id: row.record1_id, record2_id: row.record2_id,
                        active_key: row.active_key})
WITH now, row, a, b, date(row.effective_start) AS start, date(row.effective_end) AS end
CREATE (a)-[:$(row.type_to_record2) {
  connection_id: row.id, side: 1, record1_id: row.record1_id, record2_id: row.record2_id,
  record1_role_id: row.record1_role_id, record2_role_id: row.record2_role_id, state: row.state,
  description: row.description, effective_start: start, effective_end: end,
  created_at: now, updated_at: now}]->(b)
CREATE (b)-[:$(row.type_to_record1) {
  connection_id: row.id, side: 2, record1_id: row.record1_id, record2_id: row.record2_id,
  record1_role_id: row.record1_role_id, record2_role_id: row.record2_role_id, state: row.state,
  description: row.description, effective_start: start, effective_end: end,
  created_at: now, updated_at: now}]->(a)
RETURN count(*) AS created
