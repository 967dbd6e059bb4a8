"""`graphsvc check` finds every kind of broken connection and `--repair` mends what it can."""

import os
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient
from neo4j import Driver

from graphsvc.config import Settings
from tests.helpers import query, run_check


def build(client: TestClient) -> None:
    for rid in "abcdefg":
        made = client.post("/records", json={"id": rid, "type": "contact", "name": rid.upper()})
        assert made.status_code == 201, made.text
    for role in (
        {"id": "referral", "name": "Referral"},
        {"id": "referred-by", "name": "Referred by", "reciprocal_role_id": "referral"},
        {"id": "friend", "name": "Friend", "reciprocal_role_id": "friend"},
    ):
        made = client.post("/connection-roles", json=role)
        assert made.status_code == 201, made.text
    pairs = [
        ("ab", "Referral"),
        ("bc", "Referral"),
        ("cd", "Friend"),
        ("de", None),
        ("ef", "Friend"),
        ("fg", "Referral"),
    ]
    for ends, role_name in pairs:
        body = {"id": ends, "record1_id": ends[0], "record2_id": ends[1]}
        if role_name:
            body["record2_role"] = role_name
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


def test_an_extra_copy_of_one_side_is_extra_edges_not_a_half_pair(
    client: TestClient, driver: Driver, settings: Settings
) -> None:
    build(client)
    driver.execute_query(
        "MATCH (a)-[e {connection_id: 'ab', side: 1}]->(b) CREATE (a)-[x:REFERRAL]->(b) "
        "SET x = properties(e)"
    )
    driver.execute_query(
        "MATCH (a)-[e {connection_id: 'bc', side: 2}]->(b) CREATE (a)-[x:REFERRED_BY]->(b) "
        "SET x = properties(e)"
    )
    driver.execute_query("MATCH ()-[e {connection_id: 'ef', side: 2}]->() DELETE e")
    found: dict[str | None, set[str]] = {}
    for p in run_check(settings).problems:
        found.setdefault(p.connection_id, set()).add(p.what)
    assert found == {"ab": {"extra edges"}, "bc": {"extra edges"}, "ef": {"half pair"}}


# --- `graphsvc check` as a command: exit codes, output, and the repairs it makes -----------------


def cli_check(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "NEO4J_URI": settings.neo4j_uri,
        "NEO4J_USER": settings.neo4j_user,
        "NEO4J_PASSWORD": settings.neo4j_password.get_secret_value(),
        "NEO4J_DATABASE": settings.neo4j_database,
    }
    return subprocess.run(
        [sys.executable, "-m", "graphsvc", "check", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def pairs_in_neo4j(driver: Driver) -> dict[str, list[tuple[object, ...]]]:
    """Each connection id's edges (source, type, target, side), as Cypher in the test sees them."""
    rows = query(
        driver,
        """MATCH (a)-[e]->(b) RETURN e.connection_id AS id, a.id AS a, type(e) AS t, b.id AS b,
                  e.side AS side ORDER BY id, side, a""",
    )
    out: dict[str, list[tuple[object, ...]]] = {}
    for r in rows:
        out.setdefault(r["id"], []).append((r["a"], r["t"], r["b"], r["side"]))
    return out


WHOLE = {
    "ab": [("a", "REFERRAL", "b", 1), ("b", "REFERRED_BY", "a", 2)],
    "bc": [("b", "REFERRAL", "c", 1), ("c", "REFERRED_BY", "b", 2)],
    "cd": [("c", "FRIEND", "d", 1), ("d", "FRIEND", "c", 2)],
    "de": [("d", "CONNECTED_TO", "e", 1), ("e", "CONNECTED_TO", "d", 2)],
    "ef": [("e", "FRIEND", "f", 1), ("f", "FRIEND", "e", 2)],
    "fg": [("f", "REFERRAL", "g", 1), ("g", "REFERRED_BY", "f", 2)],
}


def test_check_command_on_a_clean_graph_exits_0(client: TestClient, settings: Settings) -> None:
    build(client)
    result = cli_check(settings)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "checked 6 connections" in result.stdout and "0 problem(s)" in result.stdout
    repaired = cli_check(settings, "--repair")
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    assert "0 problem(s)" in repaired.stdout


def test_check_command_repairs_extra_and_missing_edges(
    client: TestClient, driver: Driver, settings: Settings
) -> None:
    build(client)
    assert pairs_in_neo4j(driver) == WHOLE  # set-up: six whole connections
    # An extra copy of ab's side-1 edge; cd with both edges gone; ef with its side 2 gone.
    driver.execute_query(
        "MATCH (a)-[e {connection_id: 'ab', side: 1}]->(b) CREATE (a)-[x:REFERRAL]->(b) "
        "SET x = properties(e)"
    )
    driver.execute_query("MATCH ()-[e {connection_id: 'cd'}]->() DELETE e")
    driver.execute_query("MATCH ()-[e {connection_id: 'ef', side: 2}]->() DELETE e")
    damaged = pairs_in_neo4j(driver)
    assert len(damaged["ab"]) == 3 and "cd" not in damaged and len(damaged["ef"]) == 1

    found = cli_check(settings)
    assert found.returncode == 1, found.stdout + found.stderr
    assert "checked 6 connections" in found.stdout
    for line in ("- ab: extra edges", "- cd: no edges", "- ef: half pair"):
        assert line in found.stdout, found.stdout
    assert pairs_in_neo4j(driver) == damaged  # the audit alone changes nothing

    fixed = cli_check(settings, "--repair")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    # cd has nothing to rebuild from (no edge says which roles it had): removed, not guessed.
    assert "repaired 2, removed 1, left 0" in fixed.stdout, fixed.stdout
    assert pairs_in_neo4j(driver) == {k: v for k, v in WHOLE.items() if k != "cd"}
    assert query(driver, "MATCH (k:ConnectionKey) RETURN k.id AS id ORDER BY id") == [
        {"id": i} for i in ("ab", "bc", "de", "ef", "fg")
    ]
    again = cli_check(settings)
    assert again.returncode == 0 and "checked 5 connections" in again.stdout, again.stdout


def test_an_edge_without_connection_id_is_reported_and_left_for_a_person(
    client: TestClient, driver: Driver, settings: Settings
) -> None:
    build(client)
    driver.execute_query(
        "MATCH (a:Record {id: 'a'}), (g:Record {id: 'g'}) CREATE (a)-[:FRIEND {state: 'active'}]->(g)"
    )
    assert query(driver, "MATCH ()-[e]->() WHERE e.connection_id IS NULL RETURN count(e) AS n") == [
        {"n": 1}
    ]  # set-up
    found = cli_check(settings)
    assert found.returncode == 1
    assert "- -: edge without connection key" in found.stdout, found.stdout
    repaired = cli_check(settings, "--repair")
    assert repaired.returncode == 1, repaired.stdout
    assert "left: -: edge without connection key" in repaired.stdout
    # Left as it is, and the six real connections untouched.
    assert query(driver, "MATCH ()-[e]->() WHERE e.connection_id IS NULL RETURN count(e) AS n") == [
        {"n": 1}
    ]
    assert {k: v for k, v in pairs_in_neo4j(driver).items() if k is not None} == WHOLE


def test_check_command_without_neo4j_says_so(settings: Settings) -> None:
    down = settings.model_copy(update={"neo4j_uri": "bolt://127.0.0.1:1"})
    result = cli_check(down)
    assert result.returncode == 1
    assert "unreachable" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
def test_audit_pages_past_20000_connections(
    client: TestClient, driver: Driver, settings: Settings
) -> None:
    n = 20_050
    driver.execute_query(
        """UNWIND range(0, $n) AS i
           CREATE (:Record:Contact {id: 'p' + toString(i), type: 'contact', name: 'P'})""",
        n=n,
    )
    # n whole CONNECTED_TO connections p_i -- p_i+1, written here in Cypher as the README
    # describes them; ids k00000..k20049 sort in creation order, so the last page is the tail.
    with driver.session(database=settings.neo4j_database) as session:
        session.run(
            """UNWIND range(0, $n - 1) AS i
           CALL (i) {
             MATCH (a:Record {id: 'p' + toString(i)}), (b:Record {id: 'p' + toString(i + 1)})
             WITH a, b, 'k' + right('0000' + toString(i), 5) AS id
             // active_key: both ends (id|role, no role here) in sorted order, as rules.py keys them
             CREATE (:ConnectionKey {id: id, record1_id: a.id, record2_id: b.id,
                                     active_key: CASE WHEN a.id < b.id THEN a.id + '||' + b.id + '|'
                                                      ELSE b.id + '||' + a.id + '|' END})
             CREATE (a)-[e1:CONNECTED_TO]->(b), (b)-[e2:CONNECTED_TO]->(a)
             SET e1 = {connection_id: id, record1_id: a.id, record2_id: b.id, state: 'active',
                       description: '', created_at: datetime({epochSeconds: 0}),
                       updated_at: datetime({epochSeconds: 0})},
                 e2 = properties(e1), e1.side = 1, e2.side = 2
           } IN TRANSACTIONS OF 5000 ROWS""",
            n=n,
        ).consume()
    assert query(driver, "MATCH (k:ConnectionKey) RETURN count(k) AS n") == [{"n": n}]
    assert run_check(settings).problems == []  # set-up: every one whole
    # Break one connection on each side of the 20,000 page boundary.
    driver.execute_query("MATCH ()-[e {connection_id: 'k00007', side: 2}]->() DELETE e")
    driver.execute_query("MATCH ()-[e {connection_id: 'k20040', side: 2}]->() DELETE e")
    report = run_check(settings)
    assert report.connections_checked == n
    assert {(p.connection_id, p.what) for p in report.problems} == {
        ("k00007", "half pair"),
        ("k20040", "half pair"),
    }
    fixed = run_check(settings, fix=True)
    assert sorted(fixed.repaired) == ["k00007", "k20040"]
    assert run_check(settings).problems == []
