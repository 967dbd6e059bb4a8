// Take an org's sync lease when nobody holds it, its holder let it expire, or it is `$stale` (a
// holder on this host whose process is gone); else leave it and say who holds it. Locked before
// it is read, so two runs starting together cannot both take it.
// :params {org: "https://contoso.crm.dynamics.com", holder: "host1:4242:9f2c", host: "host1", pid: 4242, ttl: 60, stale: null}
MERGE (l:SyncLease {org: $org})
SET l._lock = true
REMOVE l._lock
WITH l, l.holder IS NULL OR l.holder IN [$holder, $stale] OR l.expires_at < datetime() AS free
SET l += CASE WHEN free THEN {holder: $holder, host: $host, pid: $pid, since: datetime(),
                              expires_at: datetime() + duration({seconds: $ttl})}
              ELSE {} END
RETURN free AS taken, l.holder AS holder, l.host AS host, l.pid AS pid,
       toString(l.since) AS since, toString(l.expires_at) AS expires_at
