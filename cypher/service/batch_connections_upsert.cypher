// Upsert a batch of connections by connection id, reporting each row's outcome as a rule code of
// graphsvc/rules.py (the caller turns it into the message; the caller also holds the locks of
// the roles the rows use, see README "Locking"). A row creates
// the key node and both edges, or updates both edges (replacing them when a role, hence a type,
// changed), or changes nothing; it fails (with a reason) when a record is missing, a role does
// not apply to its record, the id belongs to a connection between other records, an identical
// active connection exists under another id, or an acyclic role would close a loop.
// Roles were resolved by the caller: type1/type2 are the edge types, acyclic1/2 and
// role1_types/role2_types the roles' rules, active_key the duplicate key (unique in the schema). Each row runs in its own subquery so that it sees the
// rows before it. One row back: the counts and the failed rows.
// :params {rows: [{index: 0, id: "c1", record1_id: "john", record2_id: "jane", type1: "REFERRED_BY", type2: "REFERRAL", active_key: "jane|referral|john|referred-by", role1_types: ["contact"], role2_types: ["contact"], acyclic1: false, acyclic2: true, props: {connection_id: "c1", record1_id: "john", record2_id: "jane", record1_role_id: "referred-by", record2_role_id: "referral", state: "active", description: "", effective_start: null, effective_end: null}}]}
WITH datetime() AS now
UNWIND $rows AS row
CALL (row, now) {
  OPTIONAL MATCH (a:Record {id: row.record1_id})
  OPTIONAL MATCH (b:Record {id: row.record2_id})
  OPTIONAL MATCH (found:ConnectionKey {id: row.id})
  // the key holding the row's active_key, if any: an index seek on the unique active_key, not
  // an expansion of a's (maybe many) edges. Here, beside the id's seek, and not in a subquery
  // after the rules: there a plan made on a small or stale estimate (a load growing the graph)
  // scanned every key per row instead (PROFILE: 256,278 db hits for 12 rows at 21k keys; the
  // statement went from 20 to 300 ms per batch as the load went on).
  OPTIONAL MATCH (holder:ConnectionKey {active_key: row.active_key})
  // an existing connection's key is locked before its edges are read (as a PATCH does), so a
  // DELETE racing the update is wholly before (the row creates it again) or after
  CALL (found) {
    WITH found WHERE found IS NOT NULL
    SET found._lock = true
    REMOVE found._lock
  }
  WITH row, now, a, b, CASE WHEN found.id IS NULL THEN null ELSE found END AS k,
       CASE WHEN holder.id <> row.id THEN holder.id END AS holder_id
  CALL (row, a, b, k) {
    WITH * WHERE k IS NOT NULL AND a IS NOT NULL AND b IS NOT NULL
    MATCH (a)-[e]-(b)
    WHERE e.connection_id = row.id
    RETURN head([x IN collect(e) WHERE x.side = 1]) AS old1,
           head([x IN collect(e) WHERE x.side = 2]) AS old2
  }
  WITH row, now, a, b, k, holder_id, old1, old2,
       CASE
         WHEN a IS NULL THEN {code: "record_missing", side: 1}
         WHEN b IS NULL THEN {code: "record_missing", side: 2}
         WHEN size(row.role1_types) > 0 AND NOT a.type IN row.role1_types
           THEN {code: "role_types", side: 1, record_type: a.type}
         WHEN size(row.role2_types) > 0 AND NOT b.type IN row.role2_types
           THEN {code: "role_types", side: 2, record_type: b.type}
         WHEN k IS NOT NULL AND (k.record1_id <> row.record1_id OR k.record2_id <> row.record2_id)
           THEN {code: "records_changed", old1: k.record1_id, old2: k.record2_id}
         WHEN k IS NOT NULL AND (old1 IS NULL OR old2 IS NULL) THEN {code: "half"}
       END AS invalid
  WITH row, now, a, b, k, holder_id, old1, old2, invalid,
       k IS NOT NULL AND type(old1) = row.type2 AND type(old2) = row.type1 AS same_types
  WITH row, now, a, b, k, holder_id, old1, old2, invalid, same_types,
       same_types
       AND coalesce(old1.record1_role_id, "") = coalesce(row.props.record1_role_id, "")
       AND coalesce(old1.record2_role_id, "") = coalesce(row.props.record2_role_id, "")
       AND old1.state = row.props.state
       AND coalesce(old1.description, "") = row.props.description
       AND coalesce(toString(old1.effective_start), "") = coalesce(toString(row.props.effective_start), "")
       AND coalesce(toString(old1.effective_end), "") = coalesce(toString(row.props.effective_end), "")
       AS same
  CALL (row, a, b, invalid, same_types) {
    WITH * WHERE invalid IS NULL AND NOT same_types AND row.acyclic2
      AND EXISTS { (b)-[:$(row.type2)]->() }
    MATCH p = SHORTEST 1 (b)-[:$(row.type2)]->+(a)
    RETURN head(collect([n IN nodes(p) | n.id])) AS loop2
  }
  CALL (row, a, b, invalid, same_types) {
    WITH * WHERE invalid IS NULL AND NOT same_types AND row.acyclic1
      AND EXISTS { (a)-[:$(row.type1)]->() }
    MATCH p = SHORTEST 1 (a)-[:$(row.type1)]->+(b)
    RETURN head(collect([n IN nodes(p) | n.id])) AS loop1
  }
  WITH row, now, a, b, k, old1, old2, same, same_types,
       CASE
         WHEN invalid IS NOT NULL THEN invalid
         WHEN NOT same AND holder_id IS NOT NULL THEN {code: "duplicate", duplicate: holder_id}
         WHEN loop2 IS NOT NULL THEN {code: "loop", side: 2, chain: loop2}
         WHEN loop1 IS NOT NULL THEN {code: "loop", side: 1, chain: loop1}
       END AS error
  WITH row, now, a, b, k, old1, old2, same_types, error,
       CASE
         WHEN error IS NOT NULL THEN "failed"
         WHEN k IS NULL THEN "created"
         WHEN same THEN "unchanged"
         ELSE "updated"
       END AS outcome
  WITH row, now, a, b, k, old1, old2, same_types, error, outcome, row.props AS props
  CALL (row, now, a, b, props, outcome) {
    WITH * WHERE outcome = "created"
    CREATE (:ConnectionKey {id: row.id, record1_id: row.record1_id, record2_id: row.record2_id,
                            active_key: row.active_key}),
           (a)-[e1:$(row.type2)]->(b), (b)-[e2:$(row.type1)]->(a)
    SET e1 = props {.*, side: 1, created_at: now, updated_at: now},
        e2 = props {.*, side: 2, created_at: now, updated_at: now}
  }
  CALL (row, k, outcome) {
    WITH * WHERE outcome = "updated"
    SET k.active_key = row.active_key
  }
  CALL (now, old1, old2, props, outcome, same_types) {
    WITH * WHERE outcome = "updated" AND same_types
    SET old1 += props {.*, updated_at: now}, old2 += props {.*, updated_at: now}
  }
  CALL (row, now, a, b, old1, old2, props, outcome, same_types) {
    WITH * WHERE outcome = "updated" AND NOT same_types
    CREATE (a)-[e1:$(row.type2)]->(b), (b)-[e2:$(row.type1)]->(a)
    SET e1 = props {.*, side: 1, created_at: old1.created_at, updated_at: now},
        e2 = props {.*, side: 2, created_at: old2.created_at, updated_at: now}
    DELETE old1, old2
  }
  RETURN outcome, CASE WHEN error IS NULL THEN null ELSE {index: row.index, id: row.id, error: error} END AS failure
}
RETURN sum(CASE outcome WHEN "created" THEN 1 ELSE 0 END) AS created,
       sum(CASE outcome WHEN "updated" THEN 1 ELSE 0 END) AS updated,
       sum(CASE outcome WHEN "unchanged" THEN 1 ELSE 0 END) AS unchanged,
       collect(failure) AS failed
