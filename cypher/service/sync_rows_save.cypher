// Remember and forget Dataverse rows after a page: each connection row's graphsvc connection id
// (the ismaster twin's id), each role association's roles; rows of deleted connections and
// deleted associations are forgotten.
// :params {remember: [{id: "d2", table: "connections", target: "d1", associated: null}], forget: [], forget_targets: []}
CALL () {
  UNWIND $forget AS id
  MATCH (d:DataverseRow {id: id})
  DELETE d
}
CALL () {
  UNWIND $forget_targets AS target
  MATCH (d:DataverseRow {target: target})
  DELETE d
}
CALL () {
  UNWIND $remember AS row
  MERGE (d:DataverseRow {id: row.id})
  SET d.table = row.table, d.target = row.target, d.associated = row.associated
}
RETURN count(*) AS done
