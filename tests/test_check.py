"""`graphsvc check` finds every kind of broken connection and `--repair` mends what it can."""

from fastapi.testclient import TestClient
from neo4j import Driver

from graphsvc.config import Settings
from tests.conftest import query, run_check


def build(client: TestClient) -> None:
    for rid in "abcdefg":
        client.post("/records", json={"id": rid, "type": "contact", "name": rid.upper()})
    client.post("/connection-roles", json={"id": "referral", "name": "Referral"})
    client.post(
        "/connection-roles",
        json={"id": "referred-by", "name": "Referred by", "reciprocal_role_id": "referral"},
    )
    client.post(
        "/connection-roles", json={"id": "friend", "name": "Friend", "reciprocal_role_id": "friend"}
    )
    pairs = [
        ("ab", "Referral"),
        ("bc", "Referral"),
        ("cd", "Friend"),
        ("de", None),
        ("ef", "Friend"),
        ("fg", "Referral"),
    ]
    for (r1, r2), role in pairs:
        body = {"id": r1 + r2, "record1_id": r1, "record2_id": r2} | (
            {"record2_role": role} if role else {}
        )
        assert client.post("/connections", json=body).status_code == 201


def test_a_graph_written_through_the_api_is_clean(client: TestClient, settings: Settings) -> None:
    build(client)
    report = run_check(settings)
    assert report.connections_checked == 6
    assert report.problems == []


def test_every_kind_of_damage_is_found_and_repaired(
    client: TestClient, driver: Driver, settings: Settings
) -> None:
    build(client)
    driver.execute_query("MATCH ()-[e {connection_id: 'ab', side: 2}]->() DELETE e")  # half pair
    driver.execute_query("MATCH ()-[e {connection_id: 'bc', side: 2}]->() SET e.state = 'inactive'")
    driver.execute_query("""MATCH (a)-[e {connection_id: 'cd', side: 1}]->(b)
                            CREATE (a)-[x:WRONG]->(b) SET x = properties(e) DELETE e""")
    driver.execute_query("MATCH (k:ConnectionKey {id: 'de'}) DELETE k")  # orphan edges
    driver.execute_query("MATCH ()-[e {connection_id: 'ef'}]->() SET e.record2_role_id = 'ghost'")
    driver.execute_query(
        "MATCH (r:ConnectionRole {id: 'referred-by'}) SET r.reciprocal_role_id = 'friend'"
    )
    driver.execute_query("MATCH (g:Record {id: 'g'}) DETACH DELETE g")  # fg loses a record

    found = run_check(settings)
    by_id: dict[str | None, set[str]] = {}
    for p in found.problems:
        by_id.setdefault(p.connection_id, set()).add(p.what)
    assert by_id["ab"] == {"half pair"}
    assert by_id["bc"] == {"properties differ"}
    assert "wrong type" in by_id["cd"]
    assert by_id["de"] == {"edge without connection key"}
    assert "unknown role ghost" in by_id["ef"]
    assert "missing record" in by_id["fg"]
    assert any("reciprocal" in p.what for p in found.problems if p.connection_id is None)

    fixed = run_check(settings, fix=True)
    assert sorted(fixed.repaired) == ["ab", "bc", "cd", "de"]
    assert fixed.removed == ["fg"]
    assert {p.connection_id for p in fixed.left} == {"ef", None}

    after = run_check(settings)
    assert {p.connection_id for p in after.problems} == {"ef", None}  # only what needs a person
    pair = query(
        driver,
        """MATCH (a)-[e {connection_id: 'ab'}]->(b)
                            RETURN a.id AS a, type(e) AS t, b.id AS b ORDER BY e.side""",
    )
    assert pair == [{"a": "a", "t": "REFERRAL", "b": "b"}, {"a": "b", "t": "REFERRED_BY", "b": "a"}]
    assert client.get("/connections/bc").json()["state"] == "active"  # side 1 is authoritative
    assert client.get("/connections/de").status_code == 200
    assert query(driver, "MATCH ()-[e {connection_id: 'fg'}]-() RETURN count(e) AS n")[0]["n"] == 0
