// The records a connection key names.
// :params {id: "c1"}
MATCH (k:ConnectionKey {id: $id})
RETURN k.record1_id AS record1_id, k.record2_id AS record2_id
