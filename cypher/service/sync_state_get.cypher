// The sync state of one org's table: where the next run starts (next page or delta link).
// :params {key: "https://contoso.crm.dynamics.com connections"}
MATCH (s:SyncState {key: $key})
RETURN properties(s) AS state
