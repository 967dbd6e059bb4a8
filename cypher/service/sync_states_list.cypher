// Every table's sync state, for `graphsvc sync dataverse --status`.
MATCH (s:SyncState)
RETURN s.org AS org, s.table AS table, toString(s.synced_at) AS synced_at,
       toString(s.page_at) AS page_at, s.next_link IS NOT NULL AS mid_run, s.pages AS pages,
       s.created AS created, s.updated AS updated, s.unchanged AS unchanged,
       s.deleted AS deleted, s.failed AS failed, s.pending_deletes AS pending_deletes
ORDER BY org, table
