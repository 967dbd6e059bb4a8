// A page of records in id order, optionally of one type and with a name prefix (timestamps as
// text: the Python driver builds temporal objects slowly).
// :params {type: null, q: null, after: "", limit: 50}
MATCH (n:Record)
WHERE ($type IS NULL OR n.type = $type)
  AND ($q IS NULL OR n.name STARTS WITH $q)
  AND n.id > $after
RETURN n {.*, created_at: toString(n.created_at), updated_at: toString(n.updated_at)} AS record
ORDER BY n.id
LIMIT $limit
