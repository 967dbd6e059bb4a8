// Take write locks on both records of a connection, in id order so that concurrent writers queue
// instead of deadlocking, then return them. Writers of the same pair are serialised here, which is
// what makes the duplicate check that follows safe under concurrency.
// :params {ids: ["jane", "john"]}
UNWIND $ids AS id
MATCH (n:Record {id: id})
SET n._lock = true
REMOVE n._lock
RETURN n.id AS id, n.type AS type, n.name AS name
