// Browser guide: a record's active connections, each drawn as the edge typed with the role the
// other record plays for it ("(jane)-[:REFERRED_BY]->(john)": John is Jane's referrer).
// :params {id: "jane-doe"}
MATCH (record:Record {id: $id})-[role]->(other:Record)
WHERE role.state = 'active'
RETURN record, role, other
