-- Reach through graph_reach() (functions.sql): a breadth-first search with a global visited set.
SELECT graph_reach(%(id)s, %(roles)s::text[], %(max_depth)s) AS per_depth
