// Name-prefix search and paging in GET /records.
CREATE INDEX record_name IF NOT EXISTS FOR (r:Record) ON (r.name);
CREATE INDEX connection_role_name IF NOT EXISTS FOR (r:ConnectionRole) ON (r.name);
