-- Reach over connections in any state through graph_reach_any() (functions.sql).
SELECT graph_reach_any(%(id)s, %(roles)s::text[], %(max_depth)s) AS per_depth
