-- Bench set-up: 20 (contact, record three active Friend hops away) pairs, a stable pseudo-random
-- sample (contacts whose id hashes below '08', 1/32 of them): shortest Friend paths that exist
-- within 6 hops (the path found may be shorter, through a friend triangle).
SELECT DISTINCT ON (c1.record1_id) c1.record1_id, c3.record2_id
FROM connections c1
JOIN connections c2 ON c2.record1_id = c1.record2_id
JOIN connections c3 ON c3.record1_id = c2.record2_id
WHERE md5(c1.record1_id) < '08'
  AND c1.record2_role_id = 'friend' AND c2.record2_role_id = 'friend' AND c3.record2_role_id = 'friend'
  AND c1.state = 'active' AND c2.state = 'active' AND c3.state = 'active'
  AND c3.record2_id NOT IN (c1.record1_id, c1.record2_id)
ORDER BY c1.record1_id, c3.record2_id
LIMIT 20
