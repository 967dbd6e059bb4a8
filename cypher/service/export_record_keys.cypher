// Every attribute key that any record has (the CSV export's columns), in order.
MATCH (n:Record)
UNWIND keys(n) AS key
WITH DISTINCT key
WHERE NOT key IN ["id", "type", "name", "created_at", "updated_at"]
RETURN key
ORDER BY key
