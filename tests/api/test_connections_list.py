"""GET /connections: every connection once, paged by cursor, filtered; the same shape as
GET /connections/{id}."""

import time
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from neo4j import Driver

from tests.helpers import query


def seed(client: TestClient) -> None:
    for rid, kind in [
        ("john", "contact"),
        ("jane", "contact"),
        ("bob", "contact"),
        ("acme", "account"),
    ]:
        assert (
            client.put(f"/records/{rid}", json={"type": kind, "name": rid.title()}).status_code
            == 201
        )
    client.post("/connection-roles", json={"id": "referral", "name": "Referral"})
    client.post(
        "/connection-roles",
        json={"id": "referred-by", "name": "Referred by", "reciprocal_role_id": "referral"},
    )
    client.post(
        "/connection-roles", json={"id": "friend", "name": "Friend", "reciprocal_role_id": "friend"}
    )
    client.post("/connection-roles", json={"id": "employer", "name": "Employer"})
    for body in [
        {"id": "c1", "record1_id": "john", "record2_id": "jane", "record2_role_id": "referral"},
        {"id": "c2", "record1_id": "jane", "record2_id": "bob", "record2_role_id": "friend"},
        {
            "id": "c3",
            "record1_id": "bob",
            "record2_id": "acme",
            "record2_role_id": "employer",
            "effective_start": "2020-01-01",
            "effective_end": "2020-12-31",
        },
        {"id": "c4", "record1_id": "john", "record2_id": "bob", "record2_role_id": "friend"},
        {"id": "c5", "record1_id": "acme", "record2_id": "john"},
    ]:
        assert client.post("/connections", json=body).status_code == 201, body
    assert client.patch("/connections/c4", json={"state": "inactive"}).status_code == 200


def ids(client: TestClient, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def test_each_connection_once_in_the_single_item_shape(client: TestClient, driver: Driver) -> None:
    seed(client)
    page = client.get("/connections?state=any").json()
    assert [c["id"] for c in page["items"]] == ["c1", "c2", "c3", "c4", "c5"]
    assert page["next_cursor"] is None
    assert page["items"][0] == client.get("/connections/c1").json()
    # Neo4j holds two edges per connection; the listing still has one item per connection
    assert query(driver, "MATCH (:Record)-[e]->(:Record) RETURN count(e) AS n")[0]["n"] == 10


def test_paging_with_cursors_visits_each_once(client: TestClient) -> None:
    seed(client)
    seen, cursor = [], None
    while True:
        url = "/connections?state=any&limit=2" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(url).json()
        assert len(body["items"]) <= 2
        seen += [c["id"] for c in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == ["c1", "c2", "c3", "c4", "c5"]
    assert client.get("/connections?cursor=not-a-cursor").status_code == 422


def test_filters(client: TestClient) -> None:
    seed(client)
    assert ids(client, "/connections") == ["c1", "c2", "c3", "c5"]  # active by default
    assert ids(client, "/connections?state=inactive") == ["c4"]
    assert ids(client, "/connections?role=Friend&state=any") == ["c2", "c4"]
    assert ids(client, "/connections?role=referred-by") == ["c1"]  # either side
    assert ids(client, "/connections?roles=friend,employer") == ["c2", "c3"]
    assert ids(client, "/connections?role=friend&role=Referral") == ["c1", "c2"]
    assert ids(client, "/connections?record_type=account") == ["c3", "c5"]
    assert ids(client, "/connections?as_of=2021-06-01") == ["c1", "c2", "c5"]
    assert ids(client, "/connections?as_of=2020-06-01&record_type=account") == ["c3", "c5"]
    unknown = client.get("/connections?role=Nobody")
    assert unknown.status_code == 404 and "Nobody" in unknown.json()["detail"]
    assert client.get("/connections?record_type=Not-A-Type").status_code == 422
    assert client.get("/connections?limit=0").status_code == 422
    assert client.get("/connections?as_of=yesterday").status_code == 422


def test_changed_since(client: TestClient) -> None:
    seed(client)
    time.sleep(0.05)
    mark = datetime.now(UTC)
    time.sleep(0.05)
    client.patch("/connections/c2", json={"description": "changed"})
    assert ids(
        client, f"/connections?state=any&changed_since={mark.isoformat().replace('+00:00', 'Z')}"
    ) == ["c2"]
    naive = mark.replace(tzinfo=None).isoformat()  # no offset: UTC
    assert ids(client, f"/connections?state=any&changed_since={naive}") == ["c2"]
    assert client.get("/connections?changed_since=soon").status_code == 422
