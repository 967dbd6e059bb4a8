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
// Each row's roles' part (edge types, role ids, the roles' record types and acyclic flags) is
// `$sides[row.s]`, sent once per batch (graph/batch_rows.py).
// :params {rows: [{index: 0, id: "c1", record1_id: "john", record2_id: "jane", s: 0, active_key: "jane|referral|john|referred-by", state: "active", description: "", effective_start: null, effective_end: null}], sides: [{type1: "REFERRED_BY", type2: "REFERRAL", role1_id: "referred-by", role2_id: "referral", role1_types: ["contact"], role2_types: ["contact"], acyclic1: false, acyclic2: true}]}
// CYPHER replan=skip: every record and key is found by a hinted unique-index seek, so the plan
// cannot depend on the statistics (EXPLAIN gives the same plan on a 25k- and a 250k-node graph),
// and a load into a growing graph need not re-plan it (~0.15 s each) on every statistics drift.
CYPHER replan=skip
WITH datetime() AS now
UNWIND $rows AS row
WITH now, row, $sides[row.s] AS side
OPTIONAL MATCH (k:ConnectionKey {id: row.id})
USING INDEX k:ConnectionKey(id)  // seeks whatever the statistics (see batch_connections_upsert)
WITH now, row, side WHERE k IS NULL
MATCH (a:Record {id: row.record1_id}) USING INDEX a:Record(id)
MATCH (b:Record {id: row.record2_id}) USING INDEX b:Record(id)
WITH now, row, side, a, b
WHERE (size(side.role1_types) = 0 OR a.type IN side.role1_types)
  AND (size(side.role2_types) = 0 OR b.type IN side.role2_types)
  AND (row.active_key IS NULL OR NOT EXISTS {
    MATCH (d:ConnectionKey {active_key: row.active_key}) USING INDEX d:ConnectionKey(active_key)
  })
  AND CASE WHEN side.acyclic2 THEN NOT EXISTS { (b)-[:$(side.type2)]->() } ELSE true END
  AND CASE WHEN side.acyclic1 THEN NOT EXISTS { (a)-[:$(side.type1)]->() } ELSE true END
// the rows' fields one by one, inline: a SET from a map after the CREATE would plan an Eager
// (every row held in memory first)
CREATE (:ConnectionKey {id: row.id, record1_id: row.record1_id, record2_id: row.record2_id,
                        active_key: row.active_key}),
       (a)-[:$(side.type2) {connection_id: row.id, side: 1, record1_id: row.record1_id,
         record2_id: row.record2_id, record1_role_id: side.role1_id,
         record2_role_id: side.role2_id, state: row.state, description: row.description,
         effective_start: row.effective_start, effective_end: row.effective_end,
         created_at: now, updated_at: now}]->(b),
       (b)-[:$(side.type1) {connection_id: row.id, side: 2, record1_id: row.record1_id,
         record2_id: row.record2_id, record1_role_id: side.role1_id,
         record2_role_id: side.role2_id, state: row.state, description: row.description,
         effective_start: row.effective_start, effective_end: row.effective_end,
         created_at: now, updated_at: now}]->(a)
RETURN collect(row.index) AS created