// Every table's sync state, for `graphsvc sync dataverse --status`, with the run that holds the
// org's lease now (its holder's host and pid; null when no run holds it or its lease expired).
MATCH (s:SyncState)
OPTIONAL MATCH (l:SyncLease {org: s.org})
  WHERE l.holder IS NOT NULL AND l.expires_at > datetime()
RETURN s.org AS org, s.table AS table, toString(s.synced_at) AS synced_at,
       toString(s.page_at) AS page_at, s.next_link IS NOT NULL AS mid_run, s.pages AS pages,
       s.created AS created, s.updated AS updated, s.unchanged AS unchanged,
       s.deleted AS deleted, s.failed AS failed, s.pending_deletes AS pending_deletes,
       CASE WHEN l IS NULL THEN null
            ELSE 'host ' + l.host + ', pid ' + toString(l.pid) + ', since ' + toString(l.since) END
         AS running
ORDER BY org, table
