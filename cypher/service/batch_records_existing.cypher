// Which of a batch's record ids are in the graph (the rest are new: created by one plain
// UNWIND ... CREATE, batch_records_create). A read of index seeks only.
// :params {ids: ["john", "jane"]}
UNWIND $ids AS id
MATCH (n:Record {id: id})
RETURN collect(id) AS existing
