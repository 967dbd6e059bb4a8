// Bench: empty the database in batches (auto-commit transaction only; the schema stays).
// :params {batch: 10000}
MATCH (n)
CALL (n) {
  DETACH DELETE n
} IN TRANSACTIONS OF $batch ROWS
