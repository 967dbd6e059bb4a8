"""Connection roles: derived relationship types, symmetric reciprocity, deletion rules."""

from fastapi.testclient import TestClient
from neo4j import Driver

from tests.helpers import query


def role(client: TestClient, **body: object) -> dict[str, object]:
    response = client.post("/connection-roles", json=body)
    assert response.status_code == 201, response.json()
    data: dict[str, object] = response.json()
    return data


def test_relationship_type_derives_from_the_name(client: TestClient) -> None:
    assert role(client, id="rb", name="Referred by")["relationship_type"] == "REFERRED_BY"
    assert role(client, id="x", name="  Sales -- Team!  ")["relationship_type"] == "SALES_TEAM"
    clash = client.post("/connection-roles", json={"id": "rb2", "name": "referred BY"})
    assert clash.status_code == 409
    assert "REFERRED_BY" in clash.json()["detail"]


def test_reciprocity_is_symmetric_and_moves(client: TestClient) -> None:
    role(client, id="referral", name="Referral", acyclic=True)
    role(client, id="referred-by", name="Referred by", reciprocal_role_id="referral")
    assert client.get("/connection-roles/referral").json()["reciprocal_role_id"] == "referred-by"
    role(client, id="friend", name="Friend", reciprocal_role_id="friend")
    assert client.get("/connection-roles/friend").json()["reciprocal_role_id"] == "friend"
    # Re-pairing referral with friend releases both former partners.
    moved = client.patch("/connection-roles/referral", json={"reciprocal_role_id": "friend"})
    assert moved.status_code == 200
    assert moved.json()["reciprocal_role_id"] == "friend"
    assert client.get("/connection-roles/friend").json()["reciprocal_role_id"] == "referral"
    assert client.get("/connection-roles/referred-by").json()["reciprocal_role_id"] is None
    cleared = client.patch("/connection-roles/friend", json={"reciprocal_role_id": None})
    assert cleared.json()["reciprocal_role_id"] is None
    assert client.get("/connection-roles/referral").json()["reciprocal_role_id"] is None


def test_unknown_reciprocal_and_unknown_role(client: TestClient) -> None:
    bad = client.post("/connection-roles", json={"name": "A", "reciprocal_role_id": "ghost"})
    assert bad.status_code == 404
    assert bad.json()["field"] == "reciprocal_role_id"
    assert client.get("/connection-roles/ghost").status_code == 404
    assert client.get("/connection-roles").json() == []  # the failed create left nothing


def test_category_and_record_types_are_validated(client: TestClient) -> None:
    assert (
        client.post("/connection-roles", json={"name": "A", "category": "nope"}).status_code == 422
    )
    bad_type = client.post("/connection-roles", json={"name": "A", "record_types": ["Bad Type"]})
    assert bad_type.status_code == 422


def test_rename_retypes_edges_and_delete_in_use_is_409(client: TestClient, driver: Driver) -> None:
    role(client, id="colleague", name="Colleague", reciprocal_role_id=None)
    for rid in ("a", "b"):
        assert (
            client.post("/records", json={"id": rid, "type": "contact", "name": rid}).status_code
            == 201
        )
    created = client.post(
        "/connections",
        json={
            "id": "c",
            "record1_id": "a",
            "record2_id": "b",
            "record1_role_id": "colleague",
            "record2_role_id": "colleague",
        },
    )
    assert created.status_code == 201
    types = query(driver, "MATCH ()-[e {connection_id: 'c'}]->() RETURN collect(type(e)) AS t")
    assert types[0]["t"] == ["COLLEAGUE", "COLLEAGUE"]  # set-up
    renamed = client.patch("/connection-roles/colleague", json={"name": "Coworker"})
    assert renamed.json()["relationship_type"] == "COWORKER"
    types = query(driver, "MATCH ()-[e {connection_id: 'c'}]->() RETURN collect(type(e)) AS t")
    assert types[0]["t"] == ["COWORKER", "COWORKER"]
    in_use = client.delete("/connection-roles/colleague")
    assert in_use.status_code == 409
    assert "used by 1 connection" in in_use.json()["detail"]
    assert client.delete("/connections/c").status_code == 204
    assert client.delete("/connection-roles/colleague").status_code == 204
    assert client.get("/connection-roles/colleague").status_code == 404
