// Create connections that batch_connections_classify found free to create (each id and
// active_key once in the batch): per row the key node and both edges, as
// batch_connections_upsert creates them. Returns how many rows it created: fewer than it was
// given means a record was deleted meanwhile, and the caller rolls the batch back.
// :params {rows: [{index: 0, id: "c1", record1_id: "john", record2_id: "jane", type1: "REFERRED_BY", type2: "REFERRAL", active_key: "jane|referral|john|referred-by", props: {connection_id: "c1", record1_id: "john", record2_id: "jane", record1_role_id: "referred-by", record2_role_id: "referral", state: "active", description: "", effective_start: null, effective_end: null}}]}
WITH datetime() AS now
UNWIND $rows AS row
MATCH (a:Record {id: row.record1_id})
MATCH (b:Record {id: row.record2_id})
// the keys of the rows' props (graph/batch_rows.py) one by one, inline: a SET from a map after
// the CREATE would plan an Eager (every row held in memory first)
CREATE (:ConnectionKey {id: row.id, record1_id: row.record1_id, record2_id: row.record2_id,
                        active_key: row.active_key}),
       (a)-[:$(row.type2) {connection_id: row.props.connection_id, side: 1, record1_id: row.props.record1_id,
         record2_id: row.props.record2_id, record1_role_id: row.props.record1_role_id,
         record2_role_id: row.props.record2_role_id, state: row.props.state, description: row.props.description,
         effective_start: row.props.effective_start, effective_end: row.props.effective_end,
         created_at: now, updated_at: now}]->(b),
       (b)-[:$(row.type1) {connection_id: row.props.connection_id, side: 2, record1_id: row.props.record1_id,
         record2_id: row.props.record2_id, record1_role_id: row.props.record1_role_id,
         record2_role_id: row.props.record2_role_id, state: row.props.state, description: row.props.description,
         effective_start: row.props.effective_start, effective_end: row.props.effective_end,
         created_at: now, updated_at: now}]->(a)
RETURN count(*) AS created
