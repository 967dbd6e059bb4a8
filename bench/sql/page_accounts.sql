-- Bench set-up: accounts with 150-300 active employees, a stable pseudo-random 10 of them: a
-- first page of 100 employees off a record of ordinary degree, to hold the hub page (7k
-- employees) against: with an index-backed page both cost the same.
SELECT record1_id
FROM connections
WHERE record2_role_id = 'employee' AND state = 'active'
GROUP BY record1_id
HAVING count(*) BETWEEN 150 AND 300
ORDER BY md5(record1_id)
LIMIT 10
