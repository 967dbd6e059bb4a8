"""POST /batch/records and /batch/connections: per-row outcomes, idempotence, never half a pair.

Over ~300 lines on purpose: one case per row outcome.
"""

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from neo4j import Driver

from tests.helpers import query


@pytest.fixture
def roles(client: TestClient) -> TestClient:
    for body in (
        {"id": "referral", "name": "Referral", "acyclic": True, "record_types": ["contact"]},
        {"id": "referred-by", "name": "Referred by", "reciprocal_role_id": "referral"},
        {
            "id": "friend",
            "name": "Friend",
            "reciprocal_role_id": "friend",
            "record_types": ["contact"],
        },
        {"id": "employer", "name": "Employer", "record_types": ["account"]},
        {"id": "employee", "name": "Employee", "reciprocal_role_id": "employer"},
    ):
        assert client.post("/connection-roles", json=body).status_code == 201
    return client


RECORDS: list[dict[str, Any]] = [
    {"id": "john", "type": "contact", "name": "John Doe", "attributes": {"city": "Paris"}},
    {"id": "jane", "type": "contact", "name": "Jane Doe"},
    {"id": "bob", "type": "contact", "name": "Bob Roe"},
    {"id": "acme", "type": "account", "name": "Acme"},
]


def pairs(driver: Driver) -> list[dict[str, object]]:
    """Every edge, to assert that each connection has exactly its two."""
    return query(
        driver,
        """MATCH (a)-[e]->(b)
           RETURN e.connection_id AS id, e.side AS side, type(e) AS type, a.id AS source,
                  b.id AS target, e.state AS state
           ORDER BY id, side""",
    )


def test_records_upsert_reports_each_row_and_is_idempotent(
    client: TestClient, driver: Driver
) -> None:
    rows = [*RECORDS, {"id": "bad id", "type": "contact", "name": "X"}, {"type": "contact"}]
    first = client.post("/batch/records", json=rows)
    assert first.status_code == 200
    body = first.json()
    assert (body["created"], body["updated"], body["unchanged"]) == (4, 0, 0)
    assert [f["index"] for f in body["failed"]] == [4, 5]
    assert body["failed"][0]["id"] == "bad id" and "id:" in body["failed"][0]["error"]
    assert "name" in body["failed"][1]["error"]

    again = client.post("/batch/records", json=RECORDS).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 4)

    changed = [{**RECORDS[0], "name": "John Q. Doe", "attributes": {}}, RECORDS[1]]
    after = client.post("/batch/records", json=changed).json()
    assert (after["created"], after["updated"], after["unchanged"]) == (0, 1, 1)
    john = client.get("/records/john").json()
    assert john["name"] == "John Q. Doe" and john["attributes"] == {}
    [row] = query(driver, "MATCH (n:Record {id: 'acme'}) RETURN labels(n) AS labels")
    assert sorted(row["labels"]) == ["Account", "Record"]


def test_records_retype_and_repeat_within_a_batch(client: TestClient, driver: Driver) -> None:
    rows = [
        {"id": "x", "type": "contact", "name": "X"},
        {"id": "x", "type": "lead", "name": "X"},
    ]
    body = client.post("/batch/records", json=rows).json()
    assert (body["created"], body["updated"]) == (1, 1)
    [row] = query(driver, "MATCH (n:Record {id: 'x'}) RETURN labels(n) AS labels, n.type AS t")
    assert sorted(row["labels"]) == ["Lead", "Record"] and row["t"] == "lead"


def test_ndjson_body_and_a_bad_line(client: TestClient) -> None:
    lines = [json.dumps(RECORDS[0]), "{not json", json.dumps(RECORDS[1])]
    response = client.post(
        "/batch/records",
        content="\n".join(lines),
        headers={"Content-Type": "application/x-ndjson"},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["created"] == 2
    assert body["failed"][0]["index"] == 1 and "not JSON" in body["failed"][0]["error"]


def test_body_errors(client: TestClient) -> None:
    json_type = {
        "content-type": "application/json"
    }  # without one: 415 (tests/api/test_http_rules.py)
    assert client.post("/batch/records", content=b"{oops", headers=json_type).status_code == 422
    not_array = client.post("/batch/records", json={"id": "x"})
    assert not_array.status_code == 422 and "array" in not_array.json()["detail"]
    too_many = client.post("/batch/records", json=[{}] * 10_001)
    assert too_many.status_code == 413


def test_connections_created_then_unchanged_with_precise_failures(
    roles: TestClient, driver: Driver
) -> None:
    client = roles
    assert client.post("/batch/records", json=RECORDS).json()["created"] == len(RECORDS)
    rows = [
        {"id": "c1", "record1_id": "john", "record2_id": "jane", "record2_role": "Referral"},
        {"id": "c2", "record1_id": "john", "record2_id": "acme", "record2_role_id": "employer"},
        {"id": "c3", "record1_id": "john", "record2_id": "nobody", "record2_role_id": "friend"},
        {"id": "c4", "record1_id": "john", "record2_id": "bob", "record2_role_id": "nope"},
        {"id": "c5", "record1_id": "john", "record2_id": "acme", "record2_role_id": "friend"},
        {"id": "c6", "record1_id": "jane", "record2_id": "john", "record1_role_id": "referral"},
        {"id": "c7", "record1_id": "jane", "record2_id": "john", "record2_role_id": "referral"},
        {"id": "c8", "record1_id": "bob", "record2_id": "bob"},
        {"record1_id": "bob", "record2_id": "jane"},
        {
            "id": "c9",
            "record1_id": "bob",
            "record2_id": "jane",
            "state": "inactive",
            "effective_start": "2024-01-01",
            "effective_end": "2024-12-31",
        },
    ]
    body = client.post("/batch/connections", json=rows).json()
    assert (body["created"], body["updated"], body["unchanged"]) == (3, 0, 0)
    errors = {f["index"]: f["error"] for f in body["failed"]}
    assert "record 'nobody' not found (record2_id)" in errors[2]
    assert "connection role 'nope' not found (record2_role_id)" in errors[3]
    assert "applies to contact records" in errors[4]
    assert "identical active connection 'c1'" in errors[5]
    assert "acyclic" in errors[6] and "john -> jane" in errors[6]
    assert "itself" in errors[7]
    assert "id: required" in errors[8]
    assert sorted(errors) == [2, 3, 4, 5, 6, 7, 8]
    edges = pairs(driver)
    assert [(e["id"], e["side"], e["type"]) for e in edges] == [
        ("c1", 1, "REFERRAL"),
        ("c1", 2, "REFERRED_BY"),
        ("c2", 1, "EMPLOYER"),
        ("c2", 2, "EMPLOYEE"),
        ("c9", 1, "CONNECTED_TO"),
        ("c9", 2, "CONNECTED_TO"),
    ]
    c9 = client.get("/connections/c9").json()
    assert c9["state"] == "inactive" and c9["effective_end"] == "2024-12-31"
    keys = query(driver, "MATCH (k:ConnectionKey) RETURN count(k) AS n")
    assert keys == [{"n": 3}]

    again = client.post("/batch/connections", json=rows).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 3)
    assert pairs(driver) == edges


def test_connection_update_and_retype(roles: TestClient, driver: Driver) -> None:
    client = roles
    assert client.post("/batch/records", json=RECORDS).json()["created"] == len(RECORDS)
    row = {"id": "c1", "record1_id": "john", "record2_id": "jane", "record2_role_id": "friend"}
    assert client.post("/batch/connections", json=[row]).json()["created"] == 1
    assert [e["type"] for e in pairs(driver)] == ["FRIEND", "FRIEND"]
    created_at = client.get("/connections/c1").json()["created_at"]
    body = client.post(
        "/batch/connections",
        json=[{**row, "record2_role_id": "referral", "description": "met at a fair"}],
    ).json()
    assert (body["created"], body["updated"], body["failed"]) == (0, 1, [])
    assert [(e["type"], e["source"]) for e in pairs(driver)] == [
        ("REFERRAL", "john"),
        ("REFERRED_BY", "jane"),
    ]
    c1 = client.get("/connections/c1").json()
    assert c1["description"] == "met at a fair" and c1["created_at"] == created_at

    moved = client.post("/batch/connections", json=[{**row, "record2_id": "bob"}]).json()
    assert "already links 'john' and 'jane'" in moved["failed"][0]["error"]

    inactive = client.post(
        "/batch/connections", json=[{**row, "record2_role_id": "referral", "state": "inactive"}]
    ).json()
    assert inactive["updated"] == 1
    assert {e["state"] for e in pairs(driver)} == {"inactive"}


def test_duplicates_within_one_batch(roles: TestClient, driver: Driver) -> None:
    client = roles
    assert client.post("/batch/records", json=RECORDS).json()["created"] == len(RECORDS)
    row = {"id": "c1", "record1_id": "john", "record2_id": "bob", "record2_role_id": "friend"}
    twin = {**row, "id": "c2", "record1_id": "bob", "record2_id": "john"}
    body = client.post("/batch/connections", json=[row, row, twin]).json()
    assert (body["created"], body["unchanged"]) == (1, 1)
    assert body["failed"][0]["index"] == 2 and "'c1'" in body["failed"][0]["error"]
    assert len(pairs(driver)) == 2


def test_loops_and_repeats_within_one_batch_whatever_the_row_order(
    roles: TestClient, driver: Driver
) -> None:
    """Rows that see earlier rows of their batch (a loop closed inside the batch, an id or an
    active connection repeated) get the outcome of writing the rows one by one, beside rows
    that are plainly created."""
    client = roles
    people = [{"id": f"p{i}", "type": "contact", "name": f"P{i}"} for i in range(8)]
    assert client.post("/batch/records", json=people).json()["created"] == 8

    def referral(cid: str, one: str, two: str) -> dict[str, str]:
        return {"id": cid, "record1_id": one, "record2_id": two, "record2_role_id": "referral"}

    rows = [
        referral("r20", "p2", "p0"),  # closes nothing yet
        referral("r01", "p0", "p1"),
        referral("r56", "p5", "p6"),  # free: nothing leaves p6
        referral("r12", "p1", "p2"),  # p2 -> p0 -> p1 -> p2: a loop with the rows before it
        {"id": "f34", "record1_id": "p3", "record2_id": "p4", "record2_role_id": "friend"},
        {"id": "f43", "record1_id": "p4", "record2_id": "p3", "record2_role_id": "friend"},
        referral("r56", "p5", "p6"),  # the same row again: unchanged
        referral("r01", "p0", "p1") | {"description": "again"},  # an update of row 1
    ]
    body = client.post("/batch/connections", json=rows).json()
    assert (body["created"], body["updated"], body["unchanged"]) == (4, 1, 1), body
    errors = {f["index"]: f["error"] for f in body["failed"]}
    assert sorted(errors) == [3, 5]
    assert "acyclic" in errors[3] and "p2 -> p0 -> p1" in errors[3]
    assert "identical active connection 'f34'" in errors[5]
    edges = query(
        driver,
        "MATCH (a)-[e:REFERRAL]->(b) RETURN a.id AS a, b.id AS b, e.description AS d ORDER BY a",
    )
    assert edges == [
        {"a": "p0", "b": "p1", "d": "again"},
        {"a": "p2", "b": "p0", "d": ""},
        {"a": "p5", "b": "p6", "d": ""},
    ]
    loops = query(driver, "MATCH p = (a)-[:REFERRAL*]->(a) RETURN count(p) AS n")
    assert loops == [{"n": 0}]
    assert query(driver, "MATCH (k:ConnectionKey) RETURN count(k) AS n") == [{"n": 4}]
    assert len(pairs(driver)) == 8


@pytest.fixture
def unique_code(driver: Driver) -> Iterator[None]:
    """A constraint the batch statement does not know of, so Neo4j rejects a whole batch."""
    driver.execute_query(
        "CREATE CONSTRAINT test_unique_code IF NOT EXISTS FOR (r:Record) REQUIRE r.code IS UNIQUE"
    )
    try:
        yield
    finally:
        driver.execute_query("DROP CONSTRAINT test_unique_code IF EXISTS")


def test_a_batch_neo4j_rejects_is_retried_row_by_row(
    client: TestClient, driver: Driver, unique_code: None
) -> None:
    rows: list[dict[str, Any]] = [
        {"id": f"r{i:02d}", "type": "contact", "name": f"R{i}", "attributes": {"code": f"x{i}"}}
        for i in range(30)
    ]
    rows[17]["attributes"] = {"code": "x3"}  # clashes with row 3 inside the same batch
    body = client.post("/batch/records", json=rows).json()
    assert (body["created"], body["updated"], body["unchanged"]) == (29, 0, 0), body
    [failure] = body["failed"]
    assert (failure["index"], failure["id"]) == (17, "r17")
    assert "rejected by Neo4j" in failure["error"]
    stored = query(driver, "MATCH (r:Record) RETURN r.id AS id, r.code AS code ORDER BY id")
    assert stored == [
        {"id": r["id"], "code": r["attributes"]["code"]} for i, r in enumerate(rows) if i != 17
    ]
    # The same rows again: the good ones unchanged, the bad one rejected again, nothing doubled.
    again = client.post("/batch/records", json=rows).json()
    assert (again["created"], again["unchanged"], len(again["failed"])) == (0, 29, 1)
    assert query(driver, "MATCH (r:Record) RETURN count(r) AS n") == [{"n": 29}]


def test_a_connection_batch_neo4j_rejects_is_retried_row_by_row(
    roles: TestClient, driver: Driver
) -> None:
    client = roles
    people = [{"id": f"p{i}", "type": "contact", "name": f"P{i}"} for i in range(12)]
    assert client.post("/batch/records", json=people).json()["created"] == 12
    # Neo4j refuses a REFERRAL edge with a description another REFERRAL edge already has.
    driver.execute_query(
        "CREATE CONSTRAINT test_referral_note IF NOT EXISTS "
        "FOR ()-[e:REFERRAL]-() REQUIRE e.description IS UNIQUE"
    )
    try:
        rows = [
            {
                "id": f"k{i}",
                "record1_id": f"p{i}",
                "record2_id": f"p{i + 1}",
                "record2_role_id": "referral",
                "description": "same" if i in (2, 7) else f"note {i}",
            }
            for i in range(11)
        ]
        body = client.post("/batch/connections", json=rows).json()
    finally:
        driver.execute_query("DROP CONSTRAINT test_referral_note IF EXISTS")
    assert body["created"] == 10, body
    assert [(f["index"], f["id"]) for f in body["failed"]] == [(7, "k7")]
    assert "rejected by Neo4j" in body["failed"][0]["error"]
    edges = pairs(driver)
    assert {e["id"] for e in edges} == {f"k{i}" for i in range(11)} - {"k7"}
    assert len(edges) == 20  # both edges of each written connection, none of the rejected one
    assert query(driver, "MATCH (k:ConnectionKey) RETURN count(k) AS n") == [{"n": 10}]


def test_ndjson_over_10000_lines_is_413_and_writes_nothing(
    client: TestClient, driver: Driver
) -> None:
    def ndjson(n: int) -> str:
        return "\n".join(
            json.dumps({"id": f"n{i}", "type": "contact", "name": "N"}) for i in range(n)
        )

    too_many = client.post(
        "/batch/records", content=ndjson(10_001), headers={"Content-Type": "application/x-ndjson"}
    )
    assert too_many.status_code == 413, too_many.text
    assert "10001 rows" in too_many.json()["detail"]
    assert query(driver, "MATCH (n) RETURN count(n) AS n") == [{"n": 0}]
    # Blank lines are not rows: 10,000 rows among blank lines are accepted whole.
    exactly = client.post(
        "/batch/records",
        content=ndjson(10_000).replace("\n", "\n\n") + "\n",
        headers={"Content-Type": "application/x-ndjson"},
    )
    assert exactly.status_code == 200, exactly.text
    assert exactly.json()["created"] == 10_000 and exactly.json()["failed"] == []
    assert query(driver, "MATCH (n:Record) RETURN count(n) AS n") == [{"n": 10_000}]
