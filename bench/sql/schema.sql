-- The Dynamics 365 shape: records, connection roles, and connections stored as TWO rows each
-- (the row as entered, ismaster, and its reciprocal with the sides swapped), so "a record's
-- connections" is always `WHERE record1_id = $id`. Tables only: bench/sql/indexes.sql runs after
-- the bulk COPY, as a DBA would load a large table (index builds beat per-row index inserts).
DROP TABLE IF EXISTS connections, records, connection_roles, connections_staging CASCADE;

CREATE TABLE connection_roles (
    id                 text PRIMARY KEY,
    name               text NOT NULL UNIQUE,
    category           text,
    description        text,
    reciprocal_role_id text
);

CREATE TABLE records (
    id   text PRIMARY KEY,
    type text NOT NULL,
    name text NOT NULL,
    city text
);

CREATE TABLE connections (
    connectionid    text    NOT NULL,  -- shared by the two rows of one connection
    ismaster        boolean NOT NULL,  -- true: record1 is the connection's record1 as entered
    record1_id      text    NOT NULL,
    record1_role_id text,
    record2_id      text    NOT NULL,
    record2_role_id text,              -- "record2 is record1's <role>"
    state           text    NOT NULL,
    description     text,
    effective_start date,
    effective_end   date
);

-- connections.csv as generated (one row per connection); COPY lands here, then both rows.
CREATE UNLOGGED TABLE connections_staging (
    id              text,
    record1_id      text,
    record2_id      text,
    record1_role_id text,
    record2_role_id text,
    state           text,
    description     text,
    effective_start date,
    effective_end   date
);
