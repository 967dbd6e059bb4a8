// Roles looked up by id or by name (exact, then case-insensitive), one row per key asked for.
// :params {keys: ["referral", "Referred by"]}
UNWIND $keys AS key
OPTIONAL MATCH (by_id:ConnectionRole {id: key})
OPTIONAL MATCH (by_name:ConnectionRole {name: key})
CALL (key, by_id, by_name) {
  OPTIONAL MATCH (r:ConnectionRole)
  WHERE by_id IS NULL AND by_name IS NULL AND toLower(r.name) = toLower(key)
  RETURN r AS by_lower_name LIMIT 1
}
RETURN key, properties(coalesce(by_id, by_name, by_lower_name)) AS role
