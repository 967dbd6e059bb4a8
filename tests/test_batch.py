"""POST /batch/records and /batch/connections: per-row outcomes, idempotence, never half a pair."""

import json

import pytest
from fastapi.testclient import TestClient
from neo4j import Driver

from tests.conftest import query


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


RECORDS = [
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
    assert sorted(row["labels"]) == ["Account", "Record"]  # type: ignore[arg-type]


def test_records_retype_and_repeat_within_a_batch(client: TestClient, driver: Driver) -> None:
    rows = [
        {"id": "x", "type": "contact", "name": "X"},
        {"id": "x", "type": "lead", "name": "X"},
    ]
    body = client.post("/batch/records", json=rows).json()
    assert (body["created"], body["updated"]) == (1, 1)
    [row] = query(driver, "MATCH (n:Record {id: 'x'}) RETURN labels(n) AS labels, n.type AS t")
    assert sorted(row["labels"]) == ["Lead", "Record"] and row["t"] == "lead"  # type: ignore[arg-type]


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
    json_type = {"content-type": "application/json"}  # without one: 415 (tests/test_http_rules.py)
    assert client.post("/batch/records", content=b"{oops", headers=json_type).status_code == 422
    not_array = client.post("/batch/records", json={"id": "x"})
    assert not_array.status_code == 422 and "array" in not_array.json()["detail"]
    too_many = client.post("/batch/records", json=[{}] * 10_001)
    assert too_many.status_code == 413


def test_connections_created_then_unchanged_with_precise_failures(
    roles: TestClient, driver: Driver
) -> None:
    client = roles
    client.post("/batch/records", json=RECORDS)
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
    client.post("/batch/records", json=RECORDS)
    row = {"id": "c1", "record1_id": "john", "record2_id": "jane", "record2_role_id": "friend"}
    client.post("/batch/connections", json=[row])
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
    client.post("/batch/records", json=RECORDS)
    row = {"id": "c1", "record1_id": "john", "record2_id": "bob", "record2_role_id": "friend"}
    twin = {**row, "id": "c2", "record1_id": "bob", "record2_id": "john"}
    body = client.post("/batch/connections", json=[row, row, twin]).json()
    assert (body["created"], body["unchanged"]) == (1, 1)
    assert body["failed"][0]["index"] == 2 and "'c1'" in body["failed"][0]["error"]
    assert len(pairs(driver)) == 2
