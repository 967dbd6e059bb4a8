// Browser guide: the shortest path between two records over active connections of any role.
// :params {from: "dave-green", to: "mark-lee"}
MATCH path = SHORTEST 1 (:Record {id: $from})-[connections WHERE connections.state = 'active']->{1,10}(:Record {id: $to})
RETURN path
