-- Keys, foreign keys and the traversal indexes, built after the bulk COPY.
ALTER TABLE connections ADD PRIMARY KEY (connectionid, ismaster);
ALTER TABLE connections
    ADD FOREIGN KEY (record1_id) REFERENCES records (id) ON DELETE CASCADE,
    ADD FOREIGN KEY (record2_id) REFERENCES records (id) ON DELETE CASCADE,
    ADD FOREIGN KEY (record1_role_id) REFERENCES connection_roles (id),
    ADD FOREIGN KEY (record2_role_id) REFERENCES connection_roles (id);
-- Outward expansion ("record1's connections, by the related record's role"): covering, so a
-- traversal hop is an index-only scan that never touches the heap; keyed on connectionid after
-- the role, so a page of 1-hop results comes in connection id order without a sort.
CREATE INDEX connections_from ON connections (record1_id, record2_role_id, connectionid)
    INCLUDE (record2_id, state, effective_start, effective_end);
-- Inward expansion (the backward half of a bidirectional search) and the record2 foreign key.
CREATE INDEX connections_to ON connections (record2_id, record2_role_id, record1_id)
    INCLUDE (state, effective_start, effective_end, connectionid);
CREATE INDEX records_name ON records (name);
-- Index-only scans need the visibility map; the planner needs statistics.
VACUUM (ANALYZE) connection_roles, records, connections;
