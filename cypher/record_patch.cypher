// Change a record's name and merge attributes (a null value deletes that property).
// :params {id: "john", changes: {name: "John A. Doe", city: null}}
MATCH (n:Record {id: $id})
SET n += $changes, n.updated_at = datetime()
RETURN properties(n) AS record
