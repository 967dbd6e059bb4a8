-- Bench set-up: a record three active Friend hops from a contact (a shortest-path target that
-- exists within 6 hops; the path found may be shorter). No row: the contact has no such friend.
SELECT c3.record2_id
FROM connections c1
JOIN connections c2 ON c2.record1_id = c1.record2_id
JOIN connections c3 ON c3.record1_id = c2.record2_id
WHERE c1.record1_id = %(id)s
  AND c1.record2_role_id = 'friend' AND c2.record2_role_id = 'friend' AND c3.record2_role_id = 'friend'
  AND c1.state = 'active' AND c2.state = 'active' AND c3.state = 'active'
  AND c3.record2_id NOT IN (%(id)s, c1.record2_id)
ORDER BY c3.record2_id
LIMIT 1
