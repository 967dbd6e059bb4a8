// Every record in id order, for `graphsvc export records` (streamed; timestamps left out: a load
// sets its own).
MATCH (n:Record)
WHERE n.id >= ""
RETURN n {.*, created_at: null, updated_at: null} AS record
ORDER BY n.id
