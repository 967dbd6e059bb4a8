// Upsert a batch of records by id (replace, like PUT), reporting each row's outcome.
// Each row runs in its own subquery so it sees the writes of the rows before it (an id repeated
// within a batch is created once, then updated or unchanged). One row back: the counts.
// :params {rows: [{index: 0, id: "john", label: "Contact", props: {type: "contact", name: "John Doe", city: "Paris"}}]}
WITH datetime() AS now
UNWIND $rows AS row
CALL (row, now) {
  OPTIONAL MATCH (n:Record {id: row.id})
  WITH row, now, n, row.props AS props
  WITH row, now, n,
       CASE
         WHEN n IS NULL THEN "created"
         WHEN size(labels(n)) = 2 AND row.label IN labels(n)
              AND props {.*, id: n.id, created_at: n.created_at, updated_at: n.updated_at}
                  = properties(n) THEN "unchanged"
         ELSE "updated"
       END AS outcome
  WITH row, now, n, outcome, row.props AS props
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
  RETURN outcome
}
RETURN sum(CASE outcome WHEN "created" THEN 1 ELSE 0 END) AS created,
       sum(CASE outcome WHEN "updated" THEN 1 ELSE 0 END) AS updated,
       sum(CASE outcome WHEN "unchanged" THEN 1 ELSE 0 END) AS unchanged,
       [] AS failed
