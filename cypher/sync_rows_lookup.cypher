// What the sync remembers of Dataverse rows (a twin's connection id, an association's roles).
// :params {ids: ["d2"]}
UNWIND $ids AS id
MATCH (d:DataverseRow {id: id})
RETURN d.id AS id, d.target AS target, d.associated AS associated
