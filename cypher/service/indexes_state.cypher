// Every index's state and how far its build is (an import waits for all to be ONLINE).
SHOW INDEXES YIELD name, state, populationPercent AS percent
