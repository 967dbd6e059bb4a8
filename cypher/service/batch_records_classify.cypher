// Sort a batch of record rows before writing: the rows whose id is not in the graph (new) and
// those whose record differs from the row (changed); every other row is unchanged. A read, so
// the batch path can create the new rows with one plain UNWIND ... CREATE and hand only the
// changed ones to the per-row upsert (batch_records_upsert).
// :params {rows: [{index: 0, id: "john", label: "Contact", props: {type: "contact", name: "John Doe", city: "Paris"}}]}
UNWIND $rows AS row
OPTIONAL MATCH (n:Record {id: row.id})
WITH row, row.props AS props, n
WHERE n IS NULL
   OR NOT (size(labels(n)) = 2 AND row.label IN labels(n)
           AND props {.*, id: n.id, created_at: n.created_at, updated_at: n.updated_at}
               = properties(n))
RETURN collect(CASE WHEN n IS NULL THEN row.index END) AS new,
       collect(CASE WHEN n IS NOT NULL THEN row.index END) AS changed
