// Of a batch of connection rows (prepared as for batch_connections_upsert), the rows that can be
// created with a plain UNWIND ... CREATE: no connection with the id yet, both records there and
// of the types the roles allow, no active connection with the same active_key, and for an
// acyclic side, no edge of its type leaving the record that the new edge points at (so the new
// edge cannot close a loop). Run under the batch's role locks, which keep record types and the
// edges of acyclic roles stable; every other row takes the per-row upsert.
// :params {rows: [{index: 0, id: "c1", record1_id: "john", record2_id: "jane", type1: "REFERRED_BY", type2: "REFERRAL", active_key: "jane|referral|john|referred-by", role1_types: ["contact"], role2_types: ["contact"], acyclic1: false, acyclic2: true}]}
UNWIND $rows AS row
OPTIONAL MATCH (k:ConnectionKey {id: row.id})
WITH row WHERE k IS NULL
MATCH (a:Record {id: row.record1_id})
MATCH (b:Record {id: row.record2_id})
WITH row, a, b
WHERE (size(row.role1_types) = 0 OR a.type IN row.role1_types)
  AND (size(row.role2_types) = 0 OR b.type IN row.role2_types)
  AND (row.active_key IS NULL OR NOT EXISTS { MATCH (:ConnectionKey {active_key: row.active_key}) })
  AND CASE WHEN row.acyclic2 THEN NOT EXISTS { (b)-[:$(row.type2)]->() } ELSE true END
  AND CASE WHEN row.acyclic1 THEN NOT EXISTS { (a)-[:$(row.type1)]->() } ELSE true END
RETURN collect(row.index) AS fast
