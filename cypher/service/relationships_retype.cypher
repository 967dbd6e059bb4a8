// Give every edge of one type a new type (a role was renamed), keeping its properties.
// :params {old_type: "REFERRAL", new_type: "REFERRED_TO"}
MATCH (a)-[e:$($old_type)]->(b)
CREATE (a)-[copy:$($new_type)]->(b)
SET copy = properties(e)
DELETE e
RETURN count(copy) AS retyped
