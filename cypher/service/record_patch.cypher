// Change a record's name and merge attributes (a null value deletes that property), unless the
// record would then hold more than $max_attributes attributes: then nothing changes and the
// count comes back for the error (`attributes` counts every key but the 5 built-in ones).
// :params {id: "john", changes: {name: "John A. Doe", city: null}, max_attributes: 200}
MATCH (n:Record {id: $id})
// Locked before its keys are counted: two PATCHes that each fit under the cap counted the same keys
// and together went over it (tests/graph/test_races.py). Deleted while we waited: nothing back.
SET n._lock = true
REMOVE n._lock
WITH n WHERE n.id IS NOT NULL
WITH n, size([k IN keys(n) WHERE NOT k IN keys($changes)]
             + [k IN keys($changes) WHERE $changes[k] IS NOT NULL]) - 5 AS attributes
FOREACH (_ IN CASE WHEN attributes <= $max_attributes THEN [1] ELSE [] END |
  SET n += $changes, n.updated_at = datetime()
)
RETURN properties(n) AS record, attributes
