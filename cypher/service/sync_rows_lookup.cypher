// What the sync remembers of Dataverse rows (a twin's connection id, an association's roles),
// and for an association how many other remembered rows link the same two roles.
// :params {ids: ["d2"]}
UNWIND $ids AS id
MATCH (d:DataverseRow {id: id})
OPTIONAL MATCH (o:DataverseRow {table: d.table})
WHERE d.associated IS NOT NULL AND NOT o.id IN $ids
  AND ((o.target = d.target AND o.associated = d.associated)
    OR (o.target = d.associated AND o.associated = d.target))
RETURN d.id AS id, d.target AS target, d.associated AS associated, count(o) AS others
