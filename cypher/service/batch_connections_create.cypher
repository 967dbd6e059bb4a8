// Create the batch's connection rows that are free to create, in one statement, and say which:
// no connection with the id yet, both records there and of the types the roles allow, no active
// connection with the same active_key, and for an acyclic side no edge of its type leaving the
// record the new edge points at (so the new edge cannot close a loop). Per row the key node and
// both edges, as batch_connections_upsert creates them. The caller sends only rows that no other
// row of the batch can affect (graph/batch_rows.py plan_connections: each id and active_key once,
// no acyclic edge into a record the batch gives an edge of that type), so checking every row
// against the graph as it was before the batch is exact; the rows not created go to the per-row
// upsert, which reports their outcome. Runs under the batch's role locks, which keep record
// types and the edges of acyclic roles stable.
// :params {rows: [{index: 0, id: "c1", record1_id: "john", record2_id: "jane", type1: "REFERRED_BY", type2: "REFERRAL", active_key: "jane|referral|john|referred-by", role1_types: ["contact"], role2_types: ["contact"], acyclic1: false, acyclic2: true, props: {connection_id: "c1", record1_id: "john", record2_id: "jane", record1_role_id: "referred-by", record2_role_id: "referral", state: "active", description: "", effective_start: null, effective_end: null}}]}
WITH datetime() AS now
UNWIND $rows AS row
OPTIONAL MATCH (k:ConnectionKey {id: row.id})
USING INDEX k:ConnectionKey(id)  // seeks whatever the statistics (see batch_connections_upsert)
WITH now, row WHERE k IS NULL
MATCH (a:Record {id: row.record1_id})
MATCH (b:Record {id: row.record2_id})
WITH now, row, a, b
WHERE (size(row.role1_types) = 0 OR a.type IN row.role1_types)
  AND (size(row.role2_types) = 0 OR b.type IN row.role2_types)
  AND (row.active_key IS NULL OR NOT EXISTS {
    MATCH (d:ConnectionKey {active_key: row.active_key}) USING INDEX d:ConnectionKey(active_key)
  })
  AND CASE WHEN row.acyclic2 THEN NOT EXISTS { (b)-[:$(row.type2)]->() } ELSE true END
  AND CASE WHEN row.acyclic1 THEN NOT EXISTS { (a)-[:$(row.type1)]->() } ELSE true END
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
RETURN collect(row.index) AS created
