// Give an org's sync lease back (the node stays, so a run taking it never finds it deleted).
// :params {org: "https://contoso.crm.dynamics.com", holder: "host1:4242:9f2c"}
MATCH (l:SyncLease {org: $org})
SET l._lock = true
REMOVE l._lock
WITH l WHERE l.holder = $holder
SET l.holder = null, l.host = null, l.pid = null, l.since = null, l.expires_at = null
