// Save a table's sync state after a page's changes are committed: the link to resume from and
// the page's counts (added to the table's totals), the rows that failed (JSON, retried next run). Runs in the transaction of sync_rows_save.
// :params {key: "https://contoso.crm.dynamics.com connections", org: "https://contoso.crm.dynamics.com", table: "connections", next_link: null, delta_link: "https://contoso.crm.dynamics.com/api/data/v9.2/connections?$deltatoken=1", pending_deletes: [], pending_rows: "[]", counts: {created: 1, updated: 0, unchanged: 0, deleted: 0, failed: 0}, finished: true}
MERGE (s:SyncState {key: $key})
ON CREATE SET s.org = $org, s.table = $table, s.created = 0, s.updated = 0, s.unchanged = 0,
              s.deleted = 0, s.failed = 0, s.pages = 0
SET s.next_link = $next_link, s.delta_link = $delta_link, s.pending_deletes = $pending_deletes,
    s.pending_rows = $pending_rows,
    s.created = s.created + $counts.created, s.updated = s.updated + $counts.updated,
    s.unchanged = s.unchanged + $counts.unchanged, s.deleted = s.deleted + $counts.deleted,
    s.failed = s.failed + $counts.failed, s.pages = s.pages + 1, s.page_at = datetime(),
    s.synced_at = CASE WHEN $finished THEN datetime() ELSE s.synced_at END
RETURN s.pages AS pages
