// Extend an org's sync lease while `$holder` still holds it: no row when it has lost it (it
// expired and another run took it). Also the fence in a page's state save.
// :params {org: "https://contoso.crm.dynamics.com", holder: "host1:4242:9f2c", ttl: 60}
MATCH (l:SyncLease {org: $org})
SET l._lock = true
REMOVE l._lock
WITH l WHERE l.holder = $holder
SET l.expires_at = datetime() + duration({seconds: $ttl})
RETURN toString(l.expires_at) AS expires_at
