// Write-lock records in id order (after any role locks), then return them as they are once
// locked; a record deleted while we waited is absent. Serialises writers of the same records.
// :params {ids: ["jane", "john"]}
UNWIND $ids AS id
MATCH (n:Record {id: id})
WITH n ORDER BY n.id
SET n._lock = true
REMOVE n._lock
WITH n WHERE n.id IS NOT NULL
RETURN n.id AS id, n.type AS type, n.name AS name
