-- Each staged connection becomes its two rows: as entered, and reciprocal (sides swapped).
INSERT INTO connections
SELECT id, true, record1_id, record1_role_id, record2_id, record2_role_id,
       state, description, effective_start, effective_end
FROM connections_staging
UNION ALL
SELECT id, false, record2_id, record2_role_id, record1_id, record1_role_id,
       state, description, effective_start, effective_end
FROM connections_staging;
