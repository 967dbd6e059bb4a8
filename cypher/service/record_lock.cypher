// Write-lock one record before reading its connections (record delete, type change); nothing
// returned when it does not exist or was deleted while we waited.
// :params {id: "john"}
MATCH (n:Record {id: $id})
SET n._lock = true
REMOVE n._lock
WITH n WHERE n.id IS NOT NULL
RETURN n.type AS type
