// Create or replace a record (PUT): properties and type label are replaced, created_at is kept.
// :params {id: "john", label: "Contact", props: {type: "contact", name: "John Doe"}}
MERGE (n:Record {id: $id})
ON CREATE SET n.created_at = datetime()
WITH n, n.created_at AS created_at, n.updated_at IS NULL AS created
REMOVE n:$([label IN labels(n) WHERE label <> "Record"])
SET n = $props, n:$($label), n.id = $id, n.created_at = created_at, n.updated_at = datetime()
RETURN properties(n) AS record, created
