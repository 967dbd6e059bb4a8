// Browser guide: inactive connections, as a table (the style sheet cannot mute them in the graph).
// :params {}
MATCH (record1:Record)-[edge {side: 1}]->(record2:Record)
WHERE edge.state = 'inactive'
RETURN edge.connection_id AS connection, record1.name AS record1, type(edge) AS role_of_record2,
       record2.name AS record2, edge.effective_end AS ended
ORDER BY connection
