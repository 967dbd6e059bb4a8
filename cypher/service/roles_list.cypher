// Every connection role, by name.
MATCH (r:ConnectionRole)
RETURN properties(r) AS role
ORDER BY r.name, r.id
