// graphsvc sync dataverse: one state node per org and table; one remembered row per Dataverse
// connection row (the twin -> connection id map a delete needs) or role association.
CREATE CONSTRAINT sync_state_key IF NOT EXISTS FOR (s:SyncState) REQUIRE s.key IS UNIQUE;
CREATE CONSTRAINT dataverse_row_id IF NOT EXISTS FOR (d:DataverseRow) REQUIRE d.id IS UNIQUE;
CREATE INDEX dataverse_row_target IF NOT EXISTS FOR (d:DataverseRow) ON (d.target);
// One lease per org: two runs of `graphsvc sync dataverse` against one org would apply pages out
// of order and each save its own delta link (graphsvc/sync/lease.py).
CREATE CONSTRAINT sync_lease_org IF NOT EXISTS FOR (l:SyncLease) REQUIRE l.org IS UNIQUE;
