// A record's connections page in connection-id order without reading every edge of a hub:
// the key node of each connection carries both record ids, so (record1_id, id) and
// (record2_id, id) hand over a record's connections already in id order, 100 at a time, whatever
// its degree (record_connections.cypher). Relationship indexes would have to be one per type.
CREATE INDEX connection_key_record1 IF NOT EXISTS FOR (k:ConnectionKey) ON (k.record1_id, k.id);
CREATE INDEX connection_key_record2 IF NOT EXISTS FOR (k:ConnectionKey) ON (k.record2_id, k.id);
