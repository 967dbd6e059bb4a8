"""Records over the API, checked against what Neo4j holds."""

from fastapi.testclient import TestClient
from neo4j import Driver

from tests.helpers import query


def test_create_read_and_labels_in_neo4j(client: TestClient, driver: Driver) -> None:
    created = client.post(
        "/records",
        json={
            "id": "so-1",
            "type": "sales_order",
            "name": "Order 1",
            "attributes": {"amount": 12.5, "tags": ["a", "b"]},
        },
    )
    assert created.status_code == 201
    body = created.json()
    assert body["attributes"] == {"amount": 12.5, "tags": ["a", "b"]}
    assert body["created_at"] == body["updated_at"]
    assert client.get("/records/so-1").json() == body
    rows = query(driver, "MATCH (n {id: 'so-1'}) RETURN labels(n) AS labels, n.amount AS amount")
    assert sorted(rows[0]["labels"]) == ["Record", "SalesOrder"]
    assert rows[0]["amount"] == 12.5


def test_generated_id_and_duplicate_id(client: TestClient) -> None:
    first = client.post("/records", json={"type": "contact", "name": "No Id"})
    assert first.status_code == 201
    assert len(first.json()["id"]) == 36
    assert (
        client.post("/records", json={"id": "x", "type": "contact", "name": "X"}).status_code == 201
    )
    dup = client.post("/records", json={"id": "x", "type": "contact", "name": "X again"})
    assert dup.status_code == 409
    assert "'x' already exists" in dup.json()["detail"]


def test_put_creates_then_replaces_including_type(client: TestClient, driver: Driver) -> None:
    created = client.put(
        "/records/p1", json={"type": "lead", "name": "Lead", "attributes": {"a": 1}}
    )
    assert created.status_code == 201
    replaced = client.put("/records/p1", json={"type": "contact", "name": "Now a contact"})
    assert replaced.status_code == 200
    assert replaced.json()["attributes"] == {}
    assert replaced.json()["created_at"] == created.json()["created_at"]
    labels = query(driver, "MATCH (n {id: 'p1'}) RETURN labels(n) AS l")[0]["l"]
    assert sorted(labels) == ["Contact", "Record"]


def test_patch_merges_and_null_deletes(client: TestClient) -> None:
    made = client.post(
        "/records",
        json={"id": "r", "type": "contact", "name": "R", "attributes": {"city": "Oslo", "age": 40}},
    )
    assert made.json()["attributes"] == {"city": "Oslo", "age": 40}
    patched = client.patch(
        "/records/r", json={"name": "R2", "attributes": {"city": None, "vip": True}}
    )
    assert patched.status_code == 200
    assert patched.json()["name"] == "R2"
    assert patched.json()["attributes"] == {"age": 40, "vip": True}
    assert client.patch("/records/nope", json={"name": "x"}).status_code == 404


def test_unknown_record_is_404_naming_it(client: TestClient) -> None:
    missing = client.get("/records/ghost")
    assert missing.status_code == 404
    assert "'ghost'" in missing.json()["detail"]
    assert client.delete("/records/ghost").status_code == 404


def test_malformed_input_is_422_naming_the_field(client: TestClient) -> None:
    cases = [
        ({"id": "bad id", "type": "contact", "name": "x"}, "id"),
        ({"id": "ok", "type": "Contact", "name": "x"}, "type"),
        ({"id": "ok", "type": "record", "name": "x"}, "type"),  # would become the Record label
        ({"id": "ok", "type": "contact", "name": ""}, "name"),
        ({"id": "ok", "type": "contact", "name": "x", "attributes": {"Bad-Key": 1}}, "attributes"),
        ({"id": "ok", "type": "contact", "name": "x", "attributes": {"name": "dup"}}, "attributes"),
        ({"id": "ok", "type": "contact", "name": "x", "attributes": {"m": [1, "a"]}}, "attributes"),
        (
            {"id": "ok", "type": "contact", "name": "x", "attributes": {"n": {"nested": 1}}},
            "attributes",
        ),
        ({"id": "ok", "type": "contact", "name": "x", "extra": 1}, "extra"),
    ]
    for body, field in cases:
        response = client.post("/records", json=body)
        assert response.status_code == 422, body
        assert response.json()["errors"][0]["field"].startswith(field), (body, response.json())
        assert field in response.json()["detail"]
    assert client.get("/records", params={"limit": 0}).status_code == 422
    assert client.get("/records", params={"cursor": "garbage!"}).json()["field"] == "cursor"


def test_paging_with_cursor_type_filter_and_name_prefix(client: TestClient) -> None:
    for i in range(7):
        made = client.post("/records", json={"id": f"c{i}", "type": "contact", "name": f"Ann {i}"})
        assert made.status_code == 201
    made = client.post("/records", json={"id": "a1", "type": "account", "name": "Annex Ltd"})
    assert made.status_code == 201
    seen, cursor = [], None
    while True:
        page = client.get(
            "/records",
            params={"type": "contact", "limit": "3"} | ({"cursor": cursor} if cursor else {}),
        ).json()
        seen += [r["id"] for r in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [f"c{i}" for i in range(7)]
    names = [r["name"] for r in client.get("/records", params={"q": "Annex"}).json()["items"]]
    assert names == ["Annex Ltd"]


def test_records_written_by_hand_read_back(client: TestClient, driver: Driver) -> None:
    """A record an analyst writes in the Browser may carry any datetime, or none: in a named zone
    (the offset stays), past year 9999 (no ISO date-time says it: null), or no timestamps at all;
    and attributes the API has no type for (a date, a point, a duration, a long string). Every
    read of it answers 200; once a named zone made GET /records fail with 500, and so did a date."""
    query(
        driver,
        "CREATE (:Record {id: 'hand-a', type: 'contact', name: 'a',"
        "  created_at: datetime('2026-01-01T10:00:00.5[Europe/Paris]'),"
        "  updated_at: datetime('+12026-06-01T00:00-05:30'), born: date('1990-01-02'),"
        "  home: point({x: 1, y: 2}), wait: duration('P1D'), bio: $bio})"
        "-[:FRIEND {connection_id: 'hand-c', side: 1, state: 'active'}]->"
        "(:Record {id: 'hand-b', type: 'contact', name: 'b'})",
        bio="x" * 20_000,
    )
    one = client.get("/records/hand-a")
    assert one.status_code == 200, one.text
    assert one.json()["created_at"] == "2026-01-01T10:00:00.500000+01:00"
    assert one.json()["updated_at"] is None
    assert one.json()["attributes"] == {
        "born": "1990-01-02",
        "home": {"srid": 7203, "coordinates": [1.0, 2.0]},
        "wait": "P1D",
        "bio": "x" * 20_000,
    }
    assert client.get("/records/hand-b").json()["created_at"] is None
    listed = client.get("/records", params={"limit": 50})
    assert listed.status_code == 200, listed.text
    assert {r["id"] for r in listed.json()["items"]} >= {"hand-a", "hand-b"}
    network = client.get("/records/hand-a/network")
    assert network.status_code == 200, network.text
    assert [n["id"] for n in network.json()["nodes"]] == ["hand-a", "hand-b"]
