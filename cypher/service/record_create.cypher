// Create a record; the unique constraint on :Record(id) turns a duplicate id into an error.
// :params {id: "john", label: "Contact", props: {type: "contact", name: "John Doe"}}
WITH datetime() AS now
CREATE (n:Record:$($label) {id: $id})
SET n += $props, n.created_at = now, n.updated_at = now
RETURN properties(n) AS record
