"""The rules on the update paths (issue 15, untested behaviours 1 and 2): PATCH of a connection
and PATCH of a role, each judged by the answer and by the graph read with Cypher written here."""

import pytest
from fastapi.testclient import TestClient
from neo4j import Driver

from tests.helpers import query


@pytest.fixture
def world(client: TestClient) -> TestClient:
    for rid, type_ in (("a", "contact"), ("b", "contact"), ("c", "contact"), ("x", "account")):
        assert client.put(f"/records/{rid}", json={"type": type_, "name": rid}).status_code == 201
    for body in (
        {"id": "referral", "name": "Referral", "acyclic": True},
        {"id": "referred-by", "name": "Referred by", "reciprocal_role_id": "referral"},
        {"id": "friend", "name": "Friend", "reciprocal_role_id": "friend"},
        {"id": "colleague", "name": "Colleague"},
        {"id": "employee", "name": "Employee", "record_types": ["contact", "lead"]},
    ):
        assert client.post("/connection-roles", json=body).status_code == 201, body
    return client


def edges(driver: Driver, connection_id: str) -> list[tuple[str, str, str]]:
    rows = query(
        driver,
        "MATCH (s)-[e {connection_id: $id}]->(t) RETURN s.id AS s, type(e) AS t, t.id AS o "
        "ORDER BY e.side",
        id=connection_id,
    )
    return [(r["s"], r["t"], r["o"]) for r in rows]


def post(client: TestClient, **body: str) -> None:
    response = client.post("/connections", json=body)
    assert response.status_code == 201, response.text


def test_reactivating_beside_an_identical_active_connection_is_409(
    world: TestClient, driver: Driver
) -> None:
    post(world, id="f1", record1_id="a", record2_id="b", record2_role_id="friend")
    post(world, id="f2", record1_id="b", record2_id="a", record2_role_id="friend", state="inactive")
    again = world.patch("/connections/f2", json={"state": "active"})
    assert again.status_code == 409 and again.json()["connection_id"] == "f1", again.text
    state = query(driver, "MATCH ()-[e {connection_id: 'f2'}]->() RETURN collect(e.state) AS s")
    assert state[0]["s"] == ["inactive", "inactive"]


def test_a_role_change_that_closes_a_loop_is_409(world: TestClient, driver: Driver) -> None:
    post(world, id="ab", record1_id="a", record2_id="b", record2_role_id="referral")
    post(world, id="bc", record1_id="b", record2_id="c", record2_role_id="referral")
    post(world, id="ca", record1_id="c", record2_id="a", record2_role_id="friend")
    loop = world.patch(
        "/connections/ca", json={"record2_role_id": "referral", "record1_role_id": "referred-by"}
    )
    assert loop.status_code == 409 and loop.json()["chain"] == ["a", "b", "c"], loop.text
    assert edges(driver, "ca") == [("c", "FRIEND", "a"), ("a", "FRIEND", "c")]


def test_patching_one_side_keeps_the_other(world: TestClient, driver: Driver) -> None:
    post(
        world,
        id="ab",
        record1_id="a",
        record2_id="b",
        record1_role_id="colleague",
        record2_role_id="friend",
    )
    changed = world.patch("/connections/ab", json={"record2_role_id": "employee"})
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["record1"]["role"]["id"] == "colleague"
    assert body["record2"]["role"]["id"] == "employee"
    assert edges(driver, "ab") == [("a", "EMPLOYEE", "b"), ("b", "COLLEAGUE", "a")]


def test_an_acyclic_role_on_both_sides_is_refused(world: TestClient, driver: Driver) -> None:
    both = {"record1_role_id": "referral", "record2_role_id": "referral"}
    made = world.post(
        "/connections", json={"id": "ab", "record1_id": "a", "record2_id": "b"} | both
    )
    assert made.status_code == 409 and "both sides" in made.json()["detail"], made.text
    post(world, id="cd", record1_id="a", record2_id="c", record2_role_id="friend")
    patched = world.patch("/connections/cd", json=both)
    assert patched.status_code == 409, patched.text
    batch = world.post(
        "/batch/connections",
        json=[{"id": "ef", "record1_id": "b", "record2_id": "c"} | both],
    ).json()
    assert [f["index"] for f in batch["failed"]] == [0] and "both sides" in batch["failed"][0][
        "error"
    ]
    assert query(driver, "MATCH ()-[e:REFERRAL]->() RETURN count(e) AS n")[0]["n"] == 0


def test_a_rename_onto_another_roles_type_is_409(world: TestClient, driver: Driver) -> None:
    post(world, id="ab", record1_id="a", record2_id="b", record2_role_id="colleague")
    clash = world.patch("/connection-roles/colleague", json={"name": "friend!"})
    assert clash.status_code == 409 and "FRIEND" in clash.json()["detail"], clash.text
    assert edges(driver, "ab") == [("a", "COLLEAGUE", "b"), ("b", "CONNECTED_TO", "a")]
    role = query(driver, "MATCH (r:ConnectionRole {id: 'colleague'}) RETURN r.name AS n")
    assert role == [{"n": "Colleague"}]


def test_turning_acyclic_on_over_a_loop_is_409(world: TestClient, driver: Driver) -> None:
    post(world, id="ab", record1_id="a", record2_id="b", record2_role_id="colleague")
    post(world, id="ba", record1_id="b", record2_id="c", record2_role_id="colleague")
    post(world, id="ca", record1_id="c", record2_id="a", record2_role_id="colleague")
    refused = world.patch("/connection-roles/colleague", json={"acyclic": True})
    assert (
        refused.status_code == 409 and refused.json()["chain"][0] == refused.json()["chain"][-1]
    ), refused.text
    flag = query(driver, "MATCH (r:ConnectionRole {id: 'colleague'}) RETURN r.acyclic AS a")
    assert flag == [{"a": False}]
    assert world.delete("/connections/ca").status_code == 204
    assert world.patch("/connection-roles/colleague", json={"acyclic": True}).status_code == 200


def test_narrowing_record_types_or_retyping_a_record_under_a_connection_is_409(
    world: TestClient, driver: Driver
) -> None:
    post(world, id="xa", record1_id="x", record2_id="a", record2_role_id="employee")
    narrowed = world.patch("/connection-roles/employee", json={"record_types": ["lead"]})
    assert narrowed.status_code == 409 and narrowed.json()["field"] == "record_types"
    retyped = world.put("/records/a", json={"type": "account", "name": "a"})
    assert retyped.status_code == 409 and "xa" in retyped.json()["detail"], retyped.text
    state = query(
        driver,
        "MATCH (r:ConnectionRole {id: 'employee'}), (a:Record {id: 'a'}) "
        "RETURN r.record_types AS types, a.type AS type, [l IN labels(a) WHERE l <> 'Record'] AS labels",
    )
    assert state == [{"types": ["contact", "lead"], "type": "contact", "labels": ["Contact"]}]
    # widening, renaming a record, or retyping a record the rule allows stay fine
    assert (
        world.patch("/connection-roles/employee", json={"record_types": ["contact"]}).status_code
        == 200
    )
    assert world.put("/records/a", json={"type": "contact", "name": "A"}).status_code == 200
    assert world.put("/records/x", json={"type": "lead", "name": "x"}).status_code == 200
