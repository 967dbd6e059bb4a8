// Write-lock connection roles in id order (the first locks of any connection write; see README
// "Locking"), then return them as they are once locked. A role deleted while we waited is absent.
// :params {ids: ["friend", "referral"]}
UNWIND $ids AS id
MATCH (r:ConnectionRole {id: id})
WITH r ORDER BY r.id
SET r._lock = true
REMOVE r._lock
WITH r WHERE r.id IS NOT NULL
RETURN r {.*} AS role
