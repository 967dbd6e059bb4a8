// Create records known to be new (batch_records_classify found none of their ids; each id once):
// the batch path's plain UNWIND ... CREATE. The id constraint still refuses an id that a
// concurrent writer created meanwhile (the batch is then retried row by row).
// :params {rows: [{index: 0, id: "john", label: "Contact", props: {type: "contact", name: "John Doe", city: "Paris"}}]}
WITH datetime() AS now
UNWIND $rows AS row
WITH now, row, row.props AS props
CREATE (n:Record:$(row.label))
SET n = props {.*, id: row.id, created_at: now, updated_at: now}
RETURN count(n) AS created
