// Write-lock the key of every connection with an edge of one type, in id order, before a role
// rename retypes those edges. A PATCH, DELETE or batch update of a connection replaces or deletes
// its edges under its key's lock, without the role's (a PATCH away from the role locks only the
// new one): without this a rename could copy an edge that such a writer is deleting, and leave a
// third edge, or an edge without its key, behind.
// :params {type: "REFERRAL"}
MATCH ()-[e:$($type)]->()
WITH DISTINCT e.connection_id AS id
MATCH (k:ConnectionKey {id: id})
WITH k ORDER BY k.id
SET k._lock = true
REMOVE k._lock
RETURN count(k) AS locked
