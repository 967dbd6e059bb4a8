// Browser guide: the upline, from a record back through its referrers to the original referrer.
// :params {id: "dave-green"}
MATCH upline = (:Record {id: $id})-[referrer:REFERRED_BY WHERE referrer.state = 'active']->{1,10}(root:Record)
WHERE NOT EXISTS { (root)-[:REFERRED_BY {state: 'active'}]->() }
RETURN upline
