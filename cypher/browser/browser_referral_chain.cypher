// Browser guide: everyone referred by a record, and on, down the referral tree (up to 10 hops).
// :params {id: "john-doe"}
MATCH chain = (:Record {id: $id})-[referral:REFERRAL WHERE referral.state = 'active']->{1,10}(:Record)
RETURN chain
