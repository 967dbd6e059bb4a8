// One record by id.
// :params {id: "john"}
MATCH (n:Record {id: $id})
RETURN properties(n) AS record
