// An active connection between the same two records with the same roles, in either direction:
// the key holding the same `active_key` (graphsvc/rules.py; unique, so an index seek).
// :params {active_key: "jane|referral|john|referred-by", exclude_id: null}
MATCH (k:ConnectionKey {active_key: $active_key})
USING INDEX k:ConnectionKey(active_key)  // never a scan of the keys, whatever the statistics
WHERE k.id <> coalesce($exclude_id, "")
RETURN k.id AS connection_id
LIMIT 1
