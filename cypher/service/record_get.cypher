// One record by id.
// :params {id: "john"}
MATCH (n:Record {id: $id})
RETURN n {.*, created_at: toString(n.created_at), updated_at: toString(n.updated_at)} AS record
