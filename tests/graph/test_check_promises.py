"""`graphsvc check` finds every broken promise of the rules, not only broken pairs: duplicates,
loops of acyclic roles, misapplied and dangling roles, stale duplicate keys; `--repair` sets what
is safe (the keys) and lists the rest for a person."""

from fastapi.testclient import TestClient
from neo4j import Driver

from graphsvc.config import Settings
from tests.helpers import run_check


def test_check_finds_what_writers_outside_graphsvc_break(
    client: TestClient, driver: Driver, settings: Settings
) -> None:
    for rid, type_ in (("a", "contact"), ("b", "contact"), ("c", "contact"), ("x", "account")):
        assert client.put(f"/records/{rid}", json={"type": type_, "name": rid}).status_code == 201
    for body in (
        {"id": "referral", "name": "Referral", "acyclic": True},
        {"id": "employee", "name": "Employee", "record_types": ["contact"]},
        {"id": "friend", "name": "Friend", "reciprocal_role_id": "friend"},
    ):
        assert client.post("/connection-roles", json=body).status_code == 201
    for body in (
        {"id": "ab", "record1_id": "a", "record2_id": "b", "record2_role_id": "referral"},
        {"id": "bc", "record1_id": "b", "record2_id": "c", "record2_role_id": "referral"},
        {"id": "ce", "record1_id": "c", "record2_id": "b", "record2_role_id": "employee"},
        {"id": "f1", "record1_id": "a", "record2_id": "c", "record2_role_id": "friend"},
        {"id": "f2", "record1_id": "b", "record2_id": "c", "record2_role_id": "friend"},
    ):
        assert client.post("/connections", json=body).status_code == 201, body
    assert run_check(settings).problems == []

    # what a hand edit in the Browser or an old writer can leave behind
    driver.execute_query(  # a loop c -> a of the acyclic role, copying a whole connection
        """MATCH (c:Record {id: 'c'}), (a:Record {id: 'a'})
           CREATE (:ConnectionKey {id: 'ca', record1_id: 'c', record2_id: 'a'}),
                  (c)-[:REFERRAL {connection_id: 'ca', side: 1, record1_id: 'c', record2_id: 'a',
                                  record2_role_id: 'referral', state: 'active'}]->(a),
                  (a)-[:CONNECTED_TO {connection_id: 'ca', side: 2, record1_id: 'c',
                                      record2_id: 'a', record2_role_id: 'referral',
                                      state: 'active'}]->(c)"""
    )
    driver.execute_query("MATCH (n:Record {id: 'b'}) SET n.type = 'account'")  # ce misapplied
    driver.execute_query(  # f2 now duplicates f1 (same pair a-c, same roles), key not updated
        """MATCH (k:ConnectionKey {id: 'f2'}) SET k.record1_id = 'a', k.active_key = null
           WITH k MATCH (b:Record {id: 'b'})-[e {connection_id: 'f2'}]-(c:Record {id: 'c'})
           MATCH (a:Record {id: 'a'})
           CALL (e, a, b, c) {
             WITH * WHERE e.side = 1
             CREATE (a)-[n:FRIEND]->(c) SET n = properties(e), n.record1_id = 'a'
           }
           CALL (e, a, b, c) {
             WITH * WHERE e.side = 2
             CREATE (c)-[n:FRIEND]->(a) SET n = properties(e), n.record1_id = 'a'
           }
           DELETE e"""
    )
    found = run_check(settings)
    whats = {(p.connection_id, p.what) for p in found.problems}
    assert ("f2", "duplicate of f1") in whats, whats
    assert any(w.startswith("loop of acyclic role referral: ") for _, w in whats), whats
    assert ("ce", "role employee does not apply to b, a account") in whats, whats
    assert ("f2", "active key out of date") in whats, whats
    assert found.counts()["duplicate of"] == 1

    fixed = run_check(settings, fix=True)
    left = {(p.connection_id, p.what) for p in fixed.left}
    assert ("f2", "duplicate of f1") in left
    assert ("ce", "role employee does not apply to b, a account") in left
    assert any(w.startswith("loop of acyclic role") for _, w in left)
    # f2's key cannot take the active key f1 holds: it stays listed, nothing is guessed
    assert "f2" not in fixed.repaired
