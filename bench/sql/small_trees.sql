-- Bench set-up: contacts with 2-5 active referrals of their own (small referral trees), a
-- stable pseudo-random 20 of them: the start records of the "small tree" chains and reach.
SELECT record1_id
FROM connections
WHERE record2_role_id = 'referral' AND state = 'active'
GROUP BY record1_id
HAVING count(*) BETWEEN 2 AND 5
ORDER BY md5(record1_id)
LIMIT 20
