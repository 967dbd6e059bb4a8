"""Connections: exactly two role-labelled edges per connection, every rule of the contract.

Over ~300 lines on purpose: one case per rule of the contract.
"""

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx2 as httpx  # what starlette's TestClient answers with (not httpx)
import pytest
from fastapi.testclient import TestClient
from neo4j import Driver

from tests.helpers import query


def made(response: httpx.Response, status: int = 201) -> dict[str, Any]:
    """A set-up write succeeded (so the test's assertions are about something that existed)."""
    assert response.status_code == status, response.text
    return dict(response.json())


@pytest.fixture
def seed(client: TestClient) -> TestClient:
    """The brief's example: John Doe and Jane Doe, roles Referral / Referred by (reciprocal)."""
    for rid, name in (("john", "John Doe"), ("jane", "Jane Doe"), ("bob", "Bob Roe")):
        assert (
            client.post("/records", json={"id": rid, "type": "contact", "name": name}).status_code
            == 201
        )
    made(client.post("/records", json={"id": "acme", "type": "account", "name": "Acme"}))
    made(
        client.post(
            "/connection-roles",
            json={
                "id": "referral",
                "name": "Referral",
                "acyclic": True,
                "category": "sales",
                "record_types": ["contact"],
            },
        )
    )
    made(
        client.post(
            "/connection-roles",
            json={"id": "referred-by", "name": "Referred by", "reciprocal_role_id": "referral"},
        )
    )
    made(
        client.post(
            "/connection-roles",
            json={"id": "friend", "name": "Friend", "reciprocal_role_id": "friend"},
        )
    )
    assert (
        made(client.get("/connection-roles/referral"), 200)["reciprocal_role_id"] == "referred-by"
    )
    return client


def edges(driver: Driver) -> list[dict[str, Any]]:
    return query(
        driver,
        """
        MATCH (a)-[e]->(b)
        RETURN a.id AS source, type(e) AS type, b.id AS target, properties(e) AS props
        ORDER BY e.side""",
    )


def test_seed_scenario_in_neo4j_and_over_the_api(seed: TestClient, driver: Driver) -> None:
    created = seed.post(
        "/connections",
        json={"id": "c1", "record1_id": "john", "record2_id": "jane", "record2_role": "Referral"},
    )
    assert created.status_code == 201
    body = created.json()
    assert body["record1"]["role"] == {"id": "referred-by", "name": "Referred by"}
    assert body["record2"]["role"] == {"id": "referral", "name": "Referral"}

    pair = edges(driver)
    assert [(e["source"], e["type"], e["target"]) for e in pair] == [
        ("john", "REFERRAL", "jane"),
        ("jane", "REFERRED_BY", "john"),
    ]
    props = [e["props"] for e in pair]
    assert {p["connection_id"] for p in props} == {"c1"}
    first, second = (dict(p) for p in props)
    assert first.pop("side") == 1 and second.pop("side") == 2
    assert first == second  # identical properties on both edges
    assert query(driver, "MATCH ()-[e]->() RETURN count(e) AS n")[0]["n"] == 2

    johns = seed.get("/records/john/connections", params={"role": "Referral"}).json()["items"]
    assert [i["record"]["id"] for i in johns] == ["jane"]
    janes = seed.get("/records/jane/connections", params={"role": "Referred by"}).json()["items"]
    assert [i["record"]["id"] for i in janes] == ["john"]
    assert janes[0]["own_role"]["name"] == "Referral"
    assert (
        seed.get("/records/john/connections", params={"role": "Referred by"}).json()["items"] == []
    )
    assert seed.get("/connections/c1").json() == body


def test_no_role_side_uses_connected_to(seed: TestClient, driver: Driver) -> None:
    assert (
        seed.post("/connections", json={"record1_id": "john", "record2_id": "acme"}).status_code
        == 201
    )
    assert sorted(e["type"] for e in edges(driver)) == ["CONNECTED_TO", "CONNECTED_TO"]


@pytest.mark.parametrize(
    ("body", "status", "field", "text"),
    [
        ({"record1_id": "ghost", "record2_id": "jane"}, 404, "record1_id", "'ghost'"),
        ({"record1_id": "john", "record2_id": "ghost"}, 404, "record2_id", "'ghost'"),
        (
            {"record1_id": "john", "record2_id": "jane", "record2_role": "Nope"},
            404,
            "record2_role",
            "'Nope'",
        ),
        (
            {"record1_id": "john", "record2_id": "jane", "record1_role_id": "nope"},
            404,
            "record1_role_id",
            "'nope'",
        ),
        ({"record1_id": "john", "record2_id": "john"}, 422, "record2_id", "itself"),
        (
            {"record1_id": "john", "record2_id": "acme", "record2_role": "Referral"},
            422,
            "record2_role_id",
            "account",
        ),
        (
            {
                "record1_id": "john",
                "record2_id": "jane",
                "effective_start": "2024-02-01",
                "effective_end": "2024-01-01",
            },
            422,
            "effective_end",
            "before",
        ),
        (
            {"record1_id": "john", "record2_id": "jane", "effective_start": "2024-13-01"},
            422,
            "effective_start",
            "date",
        ),
    ],
)
def test_rejections_are_precise_and_write_nothing(
    seed: TestClient, driver: Driver, body: dict[str, object], status: int, field: str, text: str
) -> None:
    response = seed.post("/connections", json=body)
    assert response.status_code == status, response.json()
    assert text in response.json()["detail"]
    assert field in (response.json().get("field") or response.json()["detail"])
    assert query(driver, "MATCH ()-[e]->() RETURN count(e) AS n")[0]["n"] == 0
    assert query(driver, "MATCH (k:ConnectionKey) RETURN count(k) AS n")[0]["n"] == 0


def test_duplicates_in_either_direction_are_409(seed: TestClient) -> None:
    made(
        seed.post(
            "/connections",
            json={"id": "f1", "record1_id": "john", "record2_id": "bob", "record2_role": "Friend"},
        )
    )
    same = seed.post(
        "/connections", json={"record1_id": "john", "record2_id": "bob", "record2_role": "Friend"}
    )
    reverse = seed.post(
        "/connections", json={"record1_id": "bob", "record2_id": "john", "record1_role": "Friend"}
    )
    assert same.status_code == reverse.status_code == 409
    assert same.json()["connection_id"] == "f1"
    taken = seed.post("/connections", json={"id": "f1", "record1_id": "jane", "record2_id": "bob"})
    assert taken.status_code == 409
    # An inactive twin is not a duplicate.
    assert (
        made(seed.patch("/connections/f1", json={"state": "inactive"}), 200)["state"] == "inactive"
    )
    assert (
        seed.post(
            "/connections",
            json={"record1_id": "bob", "record2_id": "john", "record2_role": "Friend"},
        ).status_code
        == 201
    )


def test_acyclic_role_refuses_to_close_a_loop(seed: TestClient) -> None:
    assert (
        seed.post(
            "/connections",
            json={"record1_id": "john", "record2_id": "jane", "record2_role": "Referral"},
        ).status_code
        == 201
    )
    assert (
        seed.post(
            "/connections",
            json={"record1_id": "jane", "record2_id": "bob", "record2_role": "Referral"},
        ).status_code
        == 201
    )
    loop = seed.post(
        "/connections", json={"record1_id": "bob", "record2_id": "john", "record2_role": "Referral"}
    )
    assert loop.status_code == 409
    assert loop.json()["chain"] == ["john", "jane", "bob"]
    assert "john -> jane -> bob" in loop.json()["detail"]


def test_patch_retypes_both_edges_in_one_go(seed: TestClient, driver: Driver) -> None:
    made(
        seed.post(
            "/connections",
            json={
                "id": "c",
                "record1_id": "john",
                "record2_id": "bob",
                "record2_role": "Friend",
                "description": "school",
            },
        )
    )
    assert [e["type"] for e in edges(driver)] == ["FRIEND", "FRIEND"]
    changed = seed.patch(
        "/connections/c",
        json={
            "record2_role_id": "referral",
            "record1_role_id": "referred-by",
            "effective_start": "2024-01-01",
        },
    )
    assert changed.status_code == 200, changed.json()
    assert changed.json()["description"] == "school"
    assert changed.json()["effective_start"] == "2024-01-01"
    pair = edges(driver)
    assert [(e["source"], e["type"], e["target"]) for e in pair] == [
        ("john", "REFERRAL", "bob"),
        ("bob", "REFERRED_BY", "john"),
    ]
    assert all(e["props"]["effective_start"].iso_format() == "2024-01-01" for e in pair)
    bad = seed.patch("/connections/c", json={"effective_end": "2023-01-01"})
    assert bad.status_code == 422
    assert seed.patch("/connections/ghost", json={"state": "inactive"}).status_code == 404


def test_delete_connection_and_cascade_on_record_delete(seed: TestClient, driver: Driver) -> None:
    for cid, r1, r2, role in (
        ("a", "john", "jane", "Referral"),
        ("b", "john", "bob", "Friend"),
        ("c", "jane", "bob", "Friend"),
    ):
        made(
            seed.post(
                "/connections",
                json={"id": cid, "record1_id": r1, "record2_id": r2, "record2_role": role},
            )
        )
    # Set-up: three connections, six edges, three keys, before anything is deleted.
    assert query(driver, "MATCH ()-[e]->() RETURN count(e) AS n")[0]["n"] == 6
    assert query(driver, "MATCH (k:ConnectionKey) RETURN count(k) AS n")[0]["n"] == 3
    assert seed.delete("/connections/c").status_code == 204
    assert seed.get("/connections/c").status_code == 404
    assert seed.delete("/connections/c").status_code == 404
    assert query(driver, "MATCH ()-[e]->() RETURN collect(DISTINCT e.connection_id) AS ids")[0][
        "ids"
    ] in (["a", "b"], ["b", "a"])
    assert seed.get("/connections/a").status_code == 200
    assert seed.delete("/records/john").status_code == 204
    assert query(driver, "MATCH ()-[e]->() RETURN count(e) AS n")[0]["n"] == 0
    assert query(driver, "MATCH (k:ConnectionKey) RETURN count(k) AS n")[0]["n"] == 0
    assert seed.get("/connections/a").status_code == 404
    assert seed.get("/connections/b").status_code == 404
    # Only john went: the others and their (now empty) connection lists stay.
    assert query(driver, "MATCH (r:Record) RETURN collect(r.id) AS ids")[0]["ids"] != []
    assert seed.get("/records/jane").status_code == seed.get("/records/bob").status_code == 200
    assert seed.get("/records/jane/connections").json()["items"] == []


def test_record_connections_filters_and_pages(seed: TestClient) -> None:
    for other in ("jane", "bob"):
        made(
            seed.post(
                "/connections",
                json={
                    "id": f"f-{other}",
                    "record1_id": "john",
                    "record2_id": other,
                    "record2_role": "Friend",
                    "effective_start": "2024-01-01",
                    "effective_end": "2024-12-31",
                },
            )
        )
    made(seed.post("/connections", json={"id": "w", "record1_id": "john", "record2_id": "acme"}))
    page1 = seed.get("/records/john/connections", params={"limit": 2}).json()
    page2 = seed.get(
        "/records/john/connections", params={"limit": 2, "cursor": page1["next_cursor"]}
    ).json()
    assert [i["connection_id"] for i in page1["items"] + page2["items"]] == ["f-bob", "f-jane", "w"]
    assert page2["next_cursor"] is None
    accounts = seed.get("/records/john/connections", params={"record_type": "account"}).json()[
        "items"
    ]
    assert [i["record"]["id"] for i in accounts] == ["acme"]
    in_2023 = seed.get("/records/john/connections", params={"as_of": "2023-06-01"}).json()["items"]
    assert [i["connection_id"] for i in in_2023] == ["w"]
    assert seed.get("/records/ghost/connections").status_code == 404
    assert seed.get("/records/john/connections", params={"role": "Nope"}).status_code == 404


def test_twenty_simultaneous_identical_creates_make_one_connection(
    seed: TestClient, driver: Driver
) -> None:
    body = {"record1_id": "john", "record2_id": "bob", "record2_role": "Friend"}
    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(
            pool.map(lambda _: seed.post("/connections", json=body).status_code, range(20))
        )
    assert sorted(statuses) == [201] + [409] * 19
    assert query(driver, "MATCH ()-[e]->() RETURN count(e) AS n")[0]["n"] == 2
    assert query(driver, "MATCH (k:ConnectionKey) RETURN count(k) AS n")[0]["n"] == 1


HOSTILE = [
    "Referral]->(x) DETACH DELETE x //",
    "`REFERRAL` {x: 1}",
    "a'b\"c",
    "Réfèrral",  # unicode letters are not ASCII: they become _ and are rejected alone
    "\uff32\uff25\uff26\uff25\uff32\uff32\uff21\uff2c",  # full-width look-alikes
    "x" * 101,
    '$("REFERRAL")',
]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_role_names_are_rejected_or_made_harmless(
    client: TestClient, driver: Driver, name: str
) -> None:
    made(client.post("/records", json={"id": "a", "type": "contact", "name": "A"}))
    made(client.post("/records", json={"id": "b", "type": "contact", "name": "B"}))
    before = query(driver, "MATCH (n) RETURN count(n) AS n")[0]["n"]
    response = client.post("/connection-roles", json={"id": "r", "name": name})
    assert response.status_code in (201, 422), response.json()
    if response.status_code == 201:
        rel_type = response.json()["relationship_type"]
        assert rel_type.replace("_", "").isalnum() and rel_type.isascii()
        link = client.post(
            "/connections", json={"record1_id": "a", "record2_id": "b", "record2_role_id": "r"}
        )
        assert link.status_code == 201
        types = query(driver, "MATCH ()-[e]->() RETURN collect(DISTINCT type(e)) AS t")[0]["t"]
        assert rel_type in types
    else:
        assert (
            response.json()["field"] in ("name", "body.name") or "name" in response.json()["detail"]
        )
    assert query(driver, "MATCH (n:Record) RETURN count(n) AS n")[0]["n"] == 2
    assert query(driver, "MATCH (n) RETURN count(n) AS n")[0]["n"] in (before, before + 2)


@pytest.mark.parametrize(
    "value", ["Contact`) DETACH DELETE (n", "contact'", "CONTACT", "cont\u0430ct", "c" * 70]
)
def test_hostile_record_types_ids_and_keys_change_nothing(
    client: TestClient, driver: Driver, value: str
) -> None:
    assert client.post("/records", json={"id": "r1", "type": value, "name": "x"}).status_code == 422
    assert (
        client.post(
            "/records", json={"id": value + " x", "type": "contact", "name": "x"}
        ).status_code
        == 422
    )
    assert (
        client.post(
            "/records", json={"type": "contact", "name": "x", "attributes": {value: 1}}
        ).status_code
        == 422
    )
    assert client.get("/records", params={"type": value}).status_code == 422
    assert query(driver, "MATCH (n) RETURN count(n) AS n")[0]["n"] == 0


def test_inactive_connections_are_hidden_by_default_and_shown_on_request(
    seed: TestClient, driver: Driver
) -> None:
    made(seed.post("/connections", json={"id": "on", "record1_id": "john", "record2_id": "jane"}))
    made(
        seed.post(
            "/connections",
            json={"id": "off", "record1_id": "john", "record2_id": "bob", "state": "inactive"},
        )
    )
    states = query(
        driver, "MATCH ()-[e]->() RETURN e.connection_id AS id, collect(e.state) AS s ORDER BY id"
    )
    assert states == [
        {"id": "off", "s": ["inactive", "inactive"]},
        {"id": "on", "s": ["active", "active"]},
    ]  # set-up
    ids = [i["connection_id"] for i in seed.get("/records/john/connections").json()["items"]]
    assert ids == ["on"]
    shown = seed.get("/records/john/connections", params={"state": "inactive"}).json()["items"]
    assert [(i["connection_id"], i["state"], i["record"]["id"]) for i in shown] == [
        ("off", "inactive", "bob")
    ]
    active = seed.get("/records/john/connections", params={"state": "active"}).json()["items"]
    assert [i["connection_id"] for i in active] == ["on"]
    # From the other end too.
    assert seed.get("/records/bob/connections").json()["items"] == []
    back = seed.get("/records/bob/connections", params={"state": "inactive"}).json()["items"]
    assert [i["connection_id"] for i in back] == ["off"]


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        ("2023-12-31", ["open-end"]),  # the day before the window
        ("2024-01-01", ["open-end", "window"]),  # exactly the start: included
        ("2024-06-30", ["open-end", "window"]),
        ("2024-12-31", ["open-end", "window"]),  # exactly the end: included
        ("2025-01-01", ["open-end"]),  # the day after
    ],
)
def test_as_of_bounds_are_inclusive_on_record_connections(
    seed: TestClient, as_of: str, expected: list[str]
) -> None:
    made(
        seed.post(
            "/connections",
            json={
                "id": "window",
                "record1_id": "john",
                "record2_id": "jane",
                "effective_start": "2024-01-01",
                "effective_end": "2024-12-31",
            },
        )
    )
    made(
        seed.post(
            "/connections",
            json={"id": "open-end", "record1_id": "john", "record2_id": "bob"},
        )
    )
    got = seed.get("/records/john/connections", params={"as_of": as_of}).json()["items"]
    assert [i["connection_id"] for i in got] == expected
    back = seed.get("/records/jane/connections", params={"as_of": as_of}).json()["items"]
    assert [i["connection_id"] for i in back] == [c for c in expected if c == "window"]
