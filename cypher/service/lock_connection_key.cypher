// Write-lock a connection's key node (the first lock of a PATCH), so a concurrent DELETE either
// finished before (nothing returned: 404) or waits until the update has committed.
// :params {id: "c1"}
MATCH (k:ConnectionKey {id: $id})
SET k._lock = true
REMOVE k._lock
WITH k WHERE k.id IS NOT NULL
RETURN k.id AS id, k.record1_id AS record1_id, k.record2_id AS record2_id
