// Touch every record, key and edge with a property read, so the page cache holds the store
// before anything is timed (a freshly started Neo4j reads each random record from disk).
// :params {}
MATCH (n)
WITH count(n.id) AS nodes
MATCH ()-[r]->()
RETURN nodes, count(r.state) AS edges
