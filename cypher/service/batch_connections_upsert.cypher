// Upsert a batch of connections by connection id, reporting each row's outcome as a rule code of
// graphsvc/rules.py (the caller turns it into the message; the caller also holds the locks of
// the roles the rows use, see README "Locking"). A row creates
// the key node and both edges, or updates both edges (replacing them when a role, hence a type,
// changed), or changes nothing; it fails (with a reason) when a record is missing, a role does
// not apply to its record, the id belongs to a connection between other records, an identical
// active connection exists under another id, or an acyclic role would close a loop.
// Roles were resolved by the caller, once per batch: a row's `$sides[row.s]` holds the edge
// types (type1/type2), the role ids and the roles' rules (acyclic1/2, role1_types/role2_types);
// active_key is the duplicate key (unique in the schema). Each row runs in its own subquery so
// that it sees the rows before it. One row back: the counts and the failed rows.
// :params {rows: [{index: 0, id: "c1", record1_id: "john", record2_id: "jane", s: 0, active_key: "jane|referral|john|referred-by", state: "active", description: "", effective_start: null, effective_end: null}], sides: [{type1: "REFERRED_BY", type2: "REFERRAL", role1_id: "referred-by", role2_id: "referral", role1_types: ["contact"], role2_types: ["contact"], acyclic1: false, acyclic2: true}]}
// CYPHER options, measured on the 100k load (bench/README.md):
// - replan=skip: planning this statement takes ~0.45 s, and a load into a growing graph made Neo4j
//   re-plan it on every statistics drift (4-6 times per 100k rows). Every record and key is found
//   by a hinted unique-index seek, so the plan cannot depend on the statistics: EXPLAIN on a
//   25k-node and a 250k-node graph gives the same operators (only the seeks' order differs).
// - expressionEngine=interpreted: compiling this statement's many expressions to bytecode once
//   it is "hot" cost ~0.3 s per load; its rows are few (the batch's leftovers), so interpreting
//   them costs nothing measurable.
CYPHER replan=skip expressionEngine=interpreted
WITH datetime() AS now
UNWIND $rows AS row
WITH now, row, $sides[row.s] AS side
CALL (row, side, now) {
  OPTIONAL MATCH (a:Record {id: row.record1_id}) USING INDEX a:Record(id)
  OPTIONAL MATCH (b:Record {id: row.record2_id}) USING INDEX b:Record(id)
  OPTIONAL MATCH (found:ConnectionKey {id: row.id}) USING INDEX found:ConnectionKey(id)
  // the key holding the row's active_key, if any: an index seek on the unique active_key, not
  // an expansion of a's (maybe many) edges. Here, beside the id's seek, and not in a subquery
  // after the rules: there a plan made on a small or stale estimate (a load growing the graph)
  // scanned every key per row instead (PROFILE: 256,278 db hits for 12 rows at 21k keys; the
  // statement went from 20 to 300 ms per batch as the load went on).
  OPTIONAL MATCH (holder:ConnectionKey {active_key: row.active_key})
  USING INDEX holder:ConnectionKey(active_key)
  // an existing connection's key is locked before its edges are read (as a PATCH does), so a
  // DELETE racing the update is wholly before (the row creates it again) or after. Not in a
  // subquery: there the SET left this scope's cached found.id as read before the lock, and a key
  // deleted while we waited looked alive (tests/graph/test_races.py). SET on null does nothing.
  SET found._lock = true
  REMOVE found._lock
  WITH row, side, now, a, b, CASE WHEN found.id IS NULL THEN null ELSE found END AS k,
       CASE WHEN holder.id <> row.id THEN holder.id END AS holder_id
  CALL (row, a, b, k) {
    WITH * WHERE k IS NOT NULL AND a IS NOT NULL AND b IS NOT NULL
    MATCH (a)-[e]-(b)
    WHERE e.connection_id = row.id
    RETURN head([x IN collect(e) WHERE x.side = 1]) AS old1,
           head([x IN collect(e) WHERE x.side = 2]) AS old2
  }
  WITH row, side, now, a, b, k, holder_id, old1, old2,
       CASE
         WHEN a IS NULL THEN {code: "record_missing", side: 1}
         WHEN b IS NULL THEN {code: "record_missing", side: 2}
         WHEN size(side.role1_types) > 0 AND NOT a.type IN side.role1_types
           THEN {code: "role_types", side: 1, record_type: a.type}
         WHEN size(side.role2_types) > 0 AND NOT b.type IN side.role2_types
           THEN {code: "role_types", side: 2, record_type: b.type}
         WHEN k IS NOT NULL AND (k.record1_id <> row.record1_id OR k.record2_id <> row.record2_id)
           THEN {code: "records_changed", old1: k.record1_id, old2: k.record2_id}
         WHEN k IS NOT NULL AND (old1 IS NULL OR old2 IS NULL) THEN {code: "half"}
       END AS invalid
  WITH row, side, now, a, b, k, holder_id, old1, old2, invalid,
       k IS NOT NULL AND type(old1) = side.type2 AND type(old2) = side.type1 AS same_types
  WITH row, side, now, a, b, k, holder_id, old1, old2, invalid, same_types,
       same_types
       AND coalesce(old1.record1_role_id, "") = coalesce(side.role1_id, "")
       AND coalesce(old1.record2_role_id, "") = coalesce(side.role2_id, "")
       AND old1.state = row.state
       AND coalesce(old1.description, "") = row.description
       AND coalesce(toString(old1.effective_start), "") = coalesce(toString(row.effective_start), "")
       AND coalesce(toString(old1.effective_end), "") = coalesce(toString(row.effective_end), "")
       AS same
  CALL (row, side, a, b, invalid, same_types) {
    WITH * WHERE invalid IS NULL AND NOT same_types AND side.acyclic2
      AND EXISTS { (b)-[:$(side.type2)]->() }
    MATCH p = SHORTEST 1 (b)-[:$(side.type2)]->+(a)
    RETURN head(collect([n IN nodes(p) | n.id])) AS loop2
  }
  CALL (row, side, a, b, invalid, same_types) {
    WITH * WHERE invalid IS NULL AND NOT same_types AND side.acyclic1
      AND EXISTS { (a)-[:$(side.type1)]->() }
    MATCH p = SHORTEST 1 (a)-[:$(side.type1)]->+(b)
    RETURN head(collect([n IN nodes(p) | n.id])) AS loop1
  }
  WITH row, side, now, a, b, k, old1, old2, same, same_types,
       CASE
         WHEN invalid IS NOT NULL THEN invalid
         WHEN NOT same AND holder_id IS NOT NULL THEN {code: "duplicate", duplicate: holder_id}
         WHEN loop2 IS NOT NULL THEN {code: "loop", side: 2, chain: loop2}
         WHEN loop1 IS NOT NULL THEN {code: "loop", side: 1, chain: loop1}
       END AS error
  WITH row, side, now, a, b, k, old1, old2, same_types, error,
       CASE
         WHEN error IS NOT NULL THEN "failed"
         WHEN k IS NULL THEN "created"
         WHEN same THEN "unchanged"
         ELSE "updated"
       END AS outcome
  WITH row, side, now, a, b, k, old1, old2, same_types, error, outcome,
       {connection_id: row.id, record1_id: row.record1_id, record2_id: row.record2_id,
        record1_role_id: side.role1_id, record2_role_id: side.role2_id, state: row.state,
        description: row.description, effective_start: row.effective_start,
        effective_end: row.effective_end} AS props
  CALL (row, side, now, a, b, props, outcome) {
    WITH * WHERE outcome = "created"
    CREATE (:ConnectionKey {id: row.id, record1_id: row.record1_id, record2_id: row.record2_id,
                            active_key: row.active_key}),
           (a)-[e1:$(side.type2)]->(b), (b)-[e2:$(side.type1)]->(a)
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
  CALL (row, side, now, a, b, old1, old2, props, outcome, same_types) {
    WITH * WHERE outcome = "updated" AND NOT same_types
    CREATE (a)-[e1:$(side.type2)]->(b), (b)-[e2:$(side.type1)]->(a)
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
