// Unique ids back every lookup and MERGE (and the shortest-path planner's endpoint binding).
CREATE CONSTRAINT record_id IF NOT EXISTS FOR (r:Record) REQUIRE r.id IS UNIQUE;
CREATE CONSTRAINT connection_role_id IF NOT EXISTS FOR (r:ConnectionRole) REQUIRE r.id IS UNIQUE;
CREATE CONSTRAINT connection_role_type IF NOT EXISTS
  FOR (r:ConnectionRole) REQUIRE r.relationship_type IS UNIQUE;
// A connection is two edges whose types vary with its roles, so Neo4j cannot index or constrain
// its id on the edges; a small key node per connection does both (see graphsvc/graph/repository.py).
CREATE CONSTRAINT connection_key_id IF NOT EXISTS FOR (k:ConnectionKey) REQUIRE k.id IS UNIQUE;
// One active connection per pair of records and roles, in either direction (graphsvc/rules.py
// `active_key`): a duplicate is refused by Neo4j itself, whichever writer races which.
CREATE CONSTRAINT connection_active_key IF NOT EXISTS
  FOR (k:ConnectionKey) REQUIRE k.active_key IS UNIQUE;
