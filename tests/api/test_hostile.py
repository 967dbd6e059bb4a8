"""Hostile input gets a 4xx naming the field, never a 500; a bad row fails alone in a batch.

Bodies are sent as raw bytes (the JSON a hostile client writes, not what a Python encoder would
make), and what reached Neo4j is read back with Cypher written here."""

import base64
import json
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient
from neo4j import Driver

from tests.helpers import query

JSON = {"content-type": "application/json"}
NDJSON = {"content-type": "application/x-ndjson"}
BOMB = b"[" * 100_000 + b"]" * 100_000

# (what, raw JSON attribute value, words the 422 must hold)
BAD_VALUES = [
    ("int beyond 64 bits", b"123456789012345678901234567890", "64 bits"),
    ("int 2^63", b"9223372036854775808", "64 bits"),
    ("negative int beyond 64 bits", b"-9223372036854775809", "64 bits"),
    ("NaN", b"NaN", "finite"),
    ("Infinity", b"Infinity", "finite"),
    ("-Infinity", b"-Infinity", "finite"),
    ("1e999", b"1e999", "finite"),
    ("overflow in a list", b"[1.5, 2e400]", "finite"),
    ("lone surrogate", b'"\\ud800"', "surrogate"),
    ("lone surrogate in a list", b'["ok", "\\udfff"]', "surrogate"),
]

# (what, the name as raw JSON, words the 422 must hold)
BAD_NAMES = [
    ("empty", b'""', "name"),
    ("blank", b'"   "', "blank"),
    ("tab and newline only", b'"\\t\\n"', "blank"),
    ("NUL", b'"John\\u0000Doe"', "control"),
    ("newline", b'"John\\nDoe"', "control"),
    ("escape", b'"John\\u001b[31mDoe"', "control"),
    ("C1 control", b'"John\\u0085Doe"', "control"),
    ("right-to-left override", b'"John\\u202eeoD"', "bidirectional"),
    ("left-to-right isolate", b'"\\u2066John"', "bidirectional"),
    ("lone surrogate", b'"John\\ud800"', "surrogate"),
]


def raw(
    client: TestClient, method: str, url: str, body: bytes, headers: dict[str, str] = JSON
) -> httpx2.Response:
    return client.request(method, url, content=body, headers=headers)


def record_body(value: bytes) -> bytes:
    return b'{"type": "contact", "name": "Hostile", "attributes": {"a": ' + value + b"}}"


def stored(driver: Driver) -> list[str]:
    return [r["id"] for r in query(driver, "MATCH (n:Record) RETURN n.id AS id ORDER BY id")]


@pytest.mark.parametrize(("what", "value", "words"), BAD_VALUES, ids=[v[0] for v in BAD_VALUES])
def test_unstorable_attribute_values_are_422(
    client: TestClient, driver: Driver, what: str, value: bytes, words: str
) -> None:
    for method, url in (("POST", "/records"), ("PUT", "/records/h1")):
        response = raw(client, method, url, record_body(value))
        assert response.status_code == 422, (what, method, response.text)
        assert response.json()["field"] == "attributes.a"
        assert words in response.json()["detail"]
    assert client.put("/records/h2", json={"type": "contact", "name": "H"}).status_code == 201
    patched = raw(client, "PATCH", "/records/h2", b'{"attributes": {"a": ' + value + b"}}")
    assert patched.status_code == 422, patched.text
    assert query(driver, "MATCH (n:Record {id: 'h2'}) RETURN n.a AS a") == [{"a": None}]
    assert stored(driver) == ["h2"]


def test_the_largest_64_bit_integers_and_ordinary_floats_are_kept(
    client: TestClient, driver: Driver
) -> None:
    body = b'{"type": "contact", "name": "Edge", "attributes": {"big": 9223372036854775807, '
    body += b'"small": -9223372036854775808, "f": 1e308, "l": [1, 2]}}'
    assert raw(client, "PUT", "/records/e1", body).status_code == 201
    row = query(driver, "MATCH (n:Record {id: 'e1'}) RETURN n.big AS big, n.small AS small")
    assert row == [{"big": 2**63 - 1, "small": -(2**63)}]
    assert client.get("/records/e1").json()["attributes"]["big"] == 2**63 - 1


@pytest.mark.parametrize(("what", "value", "words"), BAD_VALUES, ids=[v[0] for v in BAD_VALUES])
def test_a_bad_value_fails_its_batch_row_alone(
    client: TestClient, driver: Driver, what: str, value: bytes, words: str
) -> None:
    good = b'{"id": "ok1", "type": "contact", "name": "Fine"}'
    bad = b'{"id": "bad", "type": "contact", "name": "B", "attributes": {"a": ' + value + b"}}"
    good2 = b'{"id": "ok2", "type": "contact", "name": "Fine too"}'
    as_json = raw(client, "POST", "/batch/records", b"[" + b",".join([good, bad, good2]) + b"]")
    assert as_json.status_code == 200, as_json.text
    body = as_json.json()
    assert body["created"] == 2
    assert [(f["index"], f["id"]) for f in body["failed"]] == [(1, "bad")]
    assert words in body["failed"][0]["error"]
    assert stored(driver) == ["ok1", "ok2"]
    as_ndjson = raw(client, "POST", "/batch/records", b"\n".join([good, bad, good2]), NDJSON)
    assert as_ndjson.status_code == 200
    assert as_ndjson.json()["unchanged"] == 2
    assert [f["index"] for f in as_ndjson.json()["failed"]] == [1]
    assert stored(driver) == ["ok1", "ok2"]


@pytest.mark.parametrize(("what", "name", "words"), BAD_NAMES, ids=[n[0] for n in BAD_NAMES])
def test_bad_names_are_422_on_every_name_field(
    client: TestClient, driver: Driver, what: str, name: bytes, words: str
) -> None:
    """One rule for record names, role names, and roles named in a connection, through the
    single-item routes and the batch."""
    assert client.put("/records/a", json={"type": "contact", "name": "A"}).status_code == 201
    assert client.put("/records/b", json={"type": "contact", "name": "B"}).status_code == 201
    cases = [
        ("POST", "/records", b'{"type": "contact", "name": ' + name + b"}", "name"),
        ("PUT", "/records/n1", b'{"type": "contact", "name": ' + name + b"}", "name"),
        ("PATCH", "/records/a", b'{"name": ' + name + b"}", "name"),
        ("POST", "/connection-roles", b'{"id": "r1", "name": ' + name + b"}", "name"),
        (
            "POST",
            "/connections",
            b'{"record1_id": "a", "record2_id": "b", "record2_role": ' + name + b"}",
            "record2_role",
        ),
    ]
    for method, url, body, field in cases:
        response = raw(client, method, url, body)
        assert response.status_code == 422, (method, url, response.text)
        assert response.json()["field"] == field, response.text
        if what != "empty":
            assert words in response.json()["detail"], response.text
    batch = raw(
        client,
        "POST",
        "/batch/records",
        b'[{"id": "n2", "type": "contact", "name": ' + name + b"}, "
        b'{"id": "n3", "type": "contact", "name": "Good"}]',
    )
    assert batch.status_code == 200
    assert [f["index"] for f in batch.json()["failed"]] == [0]
    assert "name" in batch.json()["failed"][0]["error"]
    assert stored(driver) == ["a", "b", "n3"]
    assert query(driver, "MATCH (r:ConnectionRole) RETURN count(r) AS n") == [{"n": 0}]
    assert query(driver, "MATCH ()-[e]->() RETURN count(e) AS n") == [{"n": 0}]
    assert client.get("/records/a").json()["name"] == "A"


def test_names_are_trimmed_and_may_be_any_script(client: TestClient, driver: Driver) -> None:
    # Right-to-left text with its ordinary marks (LRM/RLM) is a name, not an attack.
    names = {"t1": ("  John Doe  ", "John Doe"), "t2": ("\u05d3\u05e0\u05d4\u200f", None)}
    for record_id, (name, kept) in names.items():
        response = client.put(f"/records/{record_id}", json={"type": "contact", "name": name})
        assert response.status_code == 201, response.text
        assert response.json()["name"] == (kept or name)
    assert query(driver, "MATCH (n:Record {id: 't1'}) RETURN n.name AS name") == [
        {"name": "John Doe"}
    ]
    made = client.post("/connection-roles", json={"id": "x", "name": " Referral "})
    assert made.status_code == 201 and made.json()["name"] == "Referral"


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("two lines\nand a\ttab\r\n", True),
        ("bell \u0007", False),
        ("NUL \u0000", False),
        ("flip \u202e", False),
        ("surrogate \udc80", False),
    ],
)
def test_descriptions_are_free_text_without_controls(
    client: TestClient, driver: Driver, text: str, ok: bool
) -> None:
    body = json.dumps({"id": "d1", "name": "Described", "description": text}).encode()
    response = raw(client, "POST", "/connection-roles", body)
    assert response.status_code == (201 if ok else 422), response.text
    if not ok:
        assert response.json()["field"] == "description"
    count = query(driver, "MATCH (r:ConnectionRole) RETURN count(r) AS n")[0]["n"]
    assert count == (1 if ok else 0)


@pytest.mark.parametrize(
    "body",
    [
        b'{"type": "contact", "name": "x", "attributes": {"\\ud800": 1}}',
        b'{"type": "contact", "name": "x", "\\udc00bad": 1}',
    ],
    ids=["attribute key", "unknown field"],
)
def test_surrogates_in_keys_are_422(client: TestClient, body: bytes) -> None:
    response = raw(client, "POST", "/records", body)
    assert response.status_code == 422, response.text
    assert "surrogate" in response.json()["detail"]


def test_batch_row_with_a_surrogate_id_is_reported_not_a_500(
    client: TestClient, driver: Driver
) -> None:
    body = b'[{"id": "\\ud800", "type": "contact", "name": "x"}, '
    body += b'{"id": "fine", "type": "contact", "name": "y"}]'
    response = raw(client, "POST", "/batch/records", body)
    assert response.status_code == 200, response.text
    assert [f["index"] for f in response.json()["failed"]] == [0]
    assert stored(driver) == ["fine"]


def test_nested_array_bombs_are_client_errors(client: TestClient, driver: Driver) -> None:
    for url in ("/batch/records", "/batch/connections"):
        response = raw(client, "POST", url, BOMB)
        assert response.status_code == 422, response.text
        assert "nested too deep" in response.json()["detail"]
    single = raw(client, "POST", "/records", BOMB)
    assert single.status_code in (400, 422), single.text
    good = b'{"id": "ok", "type": "contact", "name": "Fine"}'
    lines = raw(client, "POST", "/batch/records", b"\n".join([BOMB, good, BOMB]), NDJSON)
    assert lines.status_code == 200, lines.text
    assert lines.json()["created"] == 1
    failed = lines.json()["failed"]
    assert [f["index"] for f in failed] == [0, 2]
    assert all("nested too deep" in f["error"] for f in failed)
    shallow_but_deep = b"[" * 500 + b"]" * 500  # parses; still not a row
    rows = raw(client, "POST", "/batch/records", b"[" + shallow_but_deep + b"," + good + b"]")
    assert rows.status_code == 200 and [f["index"] for f in rows.json()["failed"]] == [0]
    assert stored(driver) == ["ok"]


def cursor_of(payload: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        cursor_of({"after": "\ud800"}),
        base64.urlsafe_b64encode(b'{"after": "\\udfff"}').decode(),
        cursor_of({"after": "a b"}),
        cursor_of({"after": 5}),
        cursor_of({"after": ["x"]}),
        cursor_of([[[[[]]]]]),
        base64.urlsafe_b64encode(b"[" * 700).decode()[:1000],
        "%%%not-base64",
    ],
)
def test_forged_cursors_are_422(client: TestClient, cursor: str) -> None:
    assert client.put("/records/c1", json={"type": "contact", "name": "C"}).status_code == 201
    for url in ("/records", "/records/c1/connections"):
        response = client.get(url, params={"cursor": cursor})
        assert response.status_code == 422, (url, response.text)
        assert response.json()["field"] == "cursor"


def test_attributes_are_capped_at_200(client: TestClient, driver: Driver) -> None:
    many = {f"k{i}": i for i in range(201)}
    for method, url in (("POST", "/records"), ("PUT", "/records/big")):
        response = client.request(
            method, url, json={"type": "contact", "name": "Big", "attributes": many}
        )
        assert response.status_code == 422, response.text
        assert response.json()["field"] == "attributes"
        assert "at most 200" in response.json()["detail"]
    batch = client.post(
        "/batch/records",
        json=[
            {"id": "big", "type": "contact", "name": "B", "attributes": many},
            {"id": "ok", "type": "contact", "name": "O"},
        ],
    )
    assert [f["index"] for f in batch.json()["failed"]] == [0]
    # 200 fit; a PATCH may not grow a record past 200 either, but may replace or delete keys.
    full = {f"k{i}": i for i in range(200)}
    put = client.put("/records/full", json={"type": "contact", "name": "F", "attributes": full})
    assert put.status_code == 201
    grow = client.patch("/records/full", json={"attributes": {"extra": 1}})
    assert grow.status_code == 422, grow.text
    assert grow.json()["field"] == "attributes" and "201" in grow.json()["detail"]
    swap = client.patch("/records/full", json={"attributes": {"k0": None, "extra": 1}})
    assert swap.status_code == 200, swap.text
    assert client.patch("/records/full", json={"attributes": {"k1": "changed"}}).status_code == 200
    row = query(
        driver,
        "MATCH (n:Record {id: 'full'}) RETURN size(keys(n)) - 5 AS attributes, n.extra AS extra, "
        "n.k0 AS k0, n.k1 AS k1",
    )
    assert row == [{"attributes": 200, "extra": 1, "k0": None, "k1": "changed"}]
    assert stored(driver) == ["full", "ok"]
