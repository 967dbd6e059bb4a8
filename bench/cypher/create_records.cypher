// Bench baseline: create records as one plain UNWIND batch (no validation, no upsert).
// :params {rows: [{id: "c0000001", label: "Contact", type: "contact", name: "Jane Doe", attributes: {city: "Oslo"}}]}
WITH datetime() AS now
UNWIND $rows AS row
CREATE (n:Record:$(row.label) {id: row.id, type: row.type, name: row.name, created_at: now, updated_at: now})
SET n += row.attributes
RETURN count(n) AS created
