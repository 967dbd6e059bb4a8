// Upsert a batch of records by id (replace, like PUT), reporting each row's outcome.
// Each row runs in its own subquery so it sees the writes of the rows before it (an id repeated
// within a batch is created once, then updated or unchanged). A change of type obeys the rule
// PUT /records/{id} obeys (code type_in_use: no connection may give the record a role that
// excludes its new type), under the same locks in the same order: the roles it could break (those
// restricted to other types and those its connections use), by id, then the record.
// One row back: the counts and the failed rows (rule codes; messages come from graphsvc.rules).
// :params {rows: [{index: 0, id: "john", label: "Contact", props: {type: "contact", name: "John Doe", city: "Paris"}}]}
WITH datetime() AS now
UNWIND $rows AS row
CALL (row, now) {
  OPTIONAL MATCH (n:Record {id: row.id})
  // The roles a type change could break, locked before the record (the documented order) when the
  // unlocked read already shows the change.
  CALL (n, row) {
    WITH n, row WHERE n IS NOT NULL AND n.type <> row.props.type
    MATCH (r:ConnectionRole)
    WHERE (size(coalesce(r.record_types, [])) > 0 AND NOT row.props.type IN r.record_types)
       OR r.id IN COLLECT {
            MATCH (n)<-[e]-()
            RETURN CASE e.side WHEN 1 THEN e.record2_role_id ELSE e.record1_role_id END
          }
    WITH r ORDER BY r.id
    SET r._lock = true
    REMOVE r._lock
  }
  // Not in a subquery: a SET there would leave this scope's cached n.type as read before the lock.
  // (SET on a null n, a new record, does nothing.)
  SET n._lock = true
  REMOVE n._lock
  WITH row, now, n
  // Decided again under the record's lock: a record retyped while we waited is a type change after
  // all. Its roles are then locked after the record, against the order (a deadlock is retried);
  // without this the row overwrote the new type unchecked (found by test_chaos.py, as for PUT).
  OPTIONAL CALL (n, row) {
    WITH n, row WHERE n IS NOT NULL AND n.type <> row.props.type
    CALL (n, row) {
      MATCH (r:ConnectionRole)
      WHERE (size(coalesce(r.record_types, [])) > 0 AND NOT row.props.type IN r.record_types)
         OR r.id IN COLLECT {
              MATCH (n)<-[e]-()
              RETURN CASE e.side WHEN 1 THEN e.record2_role_id ELSE e.record1_role_id END
            }
      WITH r ORDER BY r.id
      SET r._lock = true
      REMOVE r._lock
      RETURN count(r) AS roles_locked
    }
    MATCH (n)<-[e]-()
    WITH row, e, CASE e.side WHEN 1 THEN e.record2_role_id ELSE e.record1_role_id END AS role_id
    MATCH (r:ConnectionRole {id: role_id})
    WHERE size(coalesce(r.record_types, [])) > 0 AND NOT row.props.type IN r.record_types
    RETURN {code: "type_in_use", record_id: row.id, record_type: row.props.type,
            connection_id: e.connection_id, role: r.name, types: r.record_types} AS conflict
    LIMIT 1
  }
  WITH row, now, n, conflict, row.props AS props
  WITH row, now, n, conflict,
       CASE
         WHEN conflict IS NOT NULL THEN "failed"
         WHEN n IS NULL THEN "created"
         WHEN size(labels(n)) = 2 AND row.label IN labels(n)
              AND props {.*, id: n.id, created_at: n.created_at, updated_at: n.updated_at}
                  = properties(n) THEN "unchanged"
         ELSE "updated"
       END AS outcome
  WITH row, now, n, conflict, outcome, row.props AS props
  CALL (row, now, props, outcome) {
    WITH * WHERE outcome = "created"
    CREATE (n:Record:$(row.label))
    SET n = props {.*, id: row.id, created_at: now, updated_at: now}
  }
  CALL (row, now, n, props, outcome) {
    WITH * WHERE outcome = "updated"
    WITH row, now, n, props, n.created_at AS created_at
    REMOVE n:$([label IN labels(n) WHERE label <> "Record"])
    SET n = props {.*, id: row.id, created_at: created_at, updated_at: now}, n:$(row.label)
  }
  RETURN outcome, CASE WHEN conflict IS NULL THEN null
                       ELSE {index: row.index, id: row.id, error: conflict} END AS failure
}
RETURN sum(CASE outcome WHEN "created" THEN 1 ELSE 0 END) AS created,
       sum(CASE outcome WHEN "updated" THEN 1 ELSE 0 END) AS updated,
       sum(CASE outcome WHEN "unchanged" THEN 1 ELSE 0 END) AS unchanged,
       collect(failure) AS failed
