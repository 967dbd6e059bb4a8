-- Shortest path through graph_shortest_path() (functions.sql), with its records.
SELECT p.records, p.connections,
       (SELECT coalesce(json_agg(json_build_array(r.id, r.type, r.name, r.city)), '[]')
        FROM records r WHERE r.id = ANY (p.records)) AS record_rows
FROM graph_shortest_path(%(from)s, %(to)s, %(roles)s::text[], %(max_depth)s) p
