// Sort a batch of record rows before writing: of the rows whose id is in the graph, those whose
// record differs from the row (changed); every other such row is unchanged. Only rows whose id
// batch_records_existing found are sent, so a first load never ships its properties twice;
// the changed rows take the per-row upsert (batch_records_upsert).
// :params {rows: [{index: 0, id: "john", label: "Contact", props: {type: "contact", name: "John Doe", city: "Paris"}}]}
UNWIND $rows AS row
MATCH (n:Record {id: row.id})
WITH row, row.props AS props, n
WHERE NOT (size(labels(n)) = 2 AND row.label IN labels(n)
           AND props {.*, id: n.id, created_at: n.created_at, updated_at: n.updated_at}
               = properties(n))
RETURN collect(row.index) AS changed
