// Set a connection key's `active_key` (as graphsvc/rules.py computes it; null when inactive).
// :params {id: "c1", active_key: "jane|referral|john|referred-by"}
MATCH (k:ConnectionKey {id: $id})
SET k.active_key = $active_key
RETURN k.id AS id
