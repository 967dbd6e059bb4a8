"""HTTP-level rules: JSON bodies only (415), HEAD on GET routes, 413 for a streamed body, the
open routes with keys configured, state=any on a record's connections, a truncated upline."""

import itertools
import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from neo4j import Driver
from pydantic import SecretStr

from graphsvc.api.app import create_app
from graphsvc.api.security import digest
from graphsvc.config import Settings
from tests.helpers import query

READ_KEY, WRITE_KEY = "gsk_read-key-for-http-rules", "gsk_write-key-for-http-rules"
BODY_ROUTES = [
    ("POST", "/records"),
    ("PUT", "/records/x1"),
    ("PATCH", "/records/x1"),
    ("POST", "/connection-roles"),
    ("PATCH", "/connection-roles/r1"),
    ("POST", "/connections"),
    ("PATCH", "/connections/c1"),
    ("POST", "/batch/records"),
    ("POST", "/batch/connections"),
]


@pytest.fixture
def keyed(settings: Settings, driver: Driver) -> Iterator[TestClient]:
    keys = f"reader:read:{digest(READ_KEY)},writer:write:{digest(WRITE_KEY)}"
    with TestClient(create_app(settings.model_copy(update={"api_keys": keys}))) as client:
        yield client


@pytest.mark.parametrize(("method", "url"), BODY_ROUTES)
@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"],
)
def test_bodies_that_are_not_json_are_415(
    client: TestClient, driver: Driver, method: str, url: str, content_type: str | None
) -> None:
    """The types a web page can send cross-site without a preflight write nothing."""
    assert client.put("/records/x1", json={"type": "contact", "name": "X"}).status_code == 201
    body = b'[{"id": "x2", "type": "contact", "name": "Evil"}]'
    if not url.startswith("/batch"):
        body = b'{"id": "x2", "type": "contact", "name": "Evil"}'
    headers = {"content-type": content_type} if content_type else {}
    # httpx adds no content-type for raw bytes: the "no type at all" case is real.
    response = client.request(method, url, content=body, headers=headers)
    assert response.status_code == 415, response.text
    assert response.json()["field"] == "Content-Type"
    assert query(driver, "MATCH (n:Record) RETURN collect(n.name) AS names") == [{"names": ["X"]}]


def test_json_with_a_charset_and_ndjson_are_accepted(client: TestClient, driver: Driver) -> None:
    one = client.post(
        "/records",
        content=b'{"id": "u1", "type": "contact", "name": "U"}',
        headers={"content-type": "application/json; charset=utf-8"},
    )
    assert one.status_code == 201, one.text
    many = client.post(
        "/batch/records",
        content=b'{"id": "u2", "type": "contact", "name": "V"}\n',
        headers={"content-type": "application/x-ndjson"},
    )
    assert many.status_code == 200 and many.json()["created"] == 1


def test_head_answers_like_get_without_a_body(client: TestClient) -> None:
    assert client.put("/records/h1", json={"type": "contact", "name": "H"}).status_code == 201
    for url in ("/health", "/records", "/records/h1", "/records/h1/connections", "/openapi.json"):
        got, head = client.get(url), client.head(url)
        assert head.status_code == got.status_code == 200, (url, head.status_code)
        assert head.content == b""
        assert head.headers["content-type"] == got.headers["content-type"]
        assert head.headers["content-length"] == got.headers["content-length"]
    assert client.head("/records/nobody").status_code == 404
    assert client.head("/batch/records").status_code == 405  # POST-only stays POST-only


def test_head_is_a_read_for_api_keys(keyed: TestClient) -> None:
    assert keyed.head("/records").status_code == 401
    assert keyed.head("/records", headers={"X-API-Key": READ_KEY}).status_code == 200


def test_a_chunked_body_over_the_limit_is_413(settings: Settings, driver: Driver) -> None:
    with TestClient(create_app(settings.model_copy(update={"max_body_bytes": 1000}))) as client:

        def chunks(n: int) -> Iterator[bytes]:
            yield b'{"type": "contact", "name": "'
            for _ in range(n):
                yield b"x" * 100
            yield b'"}'

        for url in ("/records", "/batch/records"):
            # A generator body is sent chunked: no Content-Length to refuse up front.
            response = client.post(
                url, content=chunks(30), headers={"content-type": "application/json"}
            )
            assert response.status_code == 413, (url, response.text)
            assert "limit" in response.json()["detail"]
        small = client.post(
            "/records", content=chunks(2), headers={"content-type": "application/json"}
        )
        assert small.status_code == 201, small.text
    assert query(driver, "MATCH (n:Record) RETURN count(n) AS n") == [{"n": 1}]


def test_docs_stay_open_with_keys_and_data_does_not(keyed: TestClient) -> None:
    """Decision: /docs, /redoc and /openapi.json are open (no data; the contract is public)."""
    for url in ("/docs", "/redoc", "/openapi.json"):
        assert keyed.get(url).status_code == 200, url
    assert "/records" in keyed.get("/openapi.json").json()["paths"]
    assert keyed.get("/records").status_code == 401
    assert keyed.get("/connection-roles").status_code == 401


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("PUT", "/records/k1", {"type": "contact", "name": "K"}),
        ("PATCH", "/records/k1", {"name": "K2"}),
        ("DELETE", "/records/k1", None),
        ("PATCH", "/connection-roles/r1", {"name": "R2"}),
        ("DELETE", "/connection-roles/r1", None),
        ("PATCH", "/connections/c1", {"state": "inactive"}),
        ("DELETE", "/connections/c1", None),
        ("POST", "/batch/records", [{"id": "k9", "type": "contact", "name": "K9"}]),
        ("POST", "/batch/connections", [{"id": "c9", "record1_id": "k1", "record2_id": "k2"}]),
    ],
)
def test_a_read_key_may_not_change_anything(
    keyed: TestClient, driver: Driver, method: str, url: str, body: object
) -> None:
    write = {"X-API-Key": WRITE_KEY}
    for record_id in ("k1", "k2"):
        made = keyed.put(
            f"/records/{record_id}", json={"type": "contact", "name": "K"}, headers=write
        )
        assert made.status_code == 201
    assert (
        keyed.post("/connection-roles", json={"id": "r1", "name": "R"}, headers=write).status_code
        == 201
    )
    link = {"id": "c1", "record1_id": "k1", "record2_id": "k2"}
    assert keyed.post("/connections", json=link, headers=write).status_code == 201
    before = query(driver, "MATCH (n) RETURN n.id AS id, properties(n) AS p ORDER BY id")
    response = keyed.request(method, url, json=body, headers={"X-API-Key": READ_KEY})
    assert response.status_code == 403, response.text
    assert "scope read" in response.json()["detail"]
    after = query(driver, "MATCH (n) RETURN n.id AS id, properties(n) AS p ORDER BY id")
    assert after == before
    assert query(driver, "MATCH ()-[e]->() RETURN count(e) AS n") == [{"n": 2}]


def test_state_any_lists_active_and_inactive_connections(client: TestClient) -> None:
    for record_id in ("a", "b", "c"):
        assert (
            client.put(
                f"/records/{record_id}", json={"type": "contact", "name": record_id}
            ).status_code
            == 201
        )
    assert (
        client.post(
            "/connections", json={"id": "ab", "record1_id": "a", "record2_id": "b"}
        ).status_code
        == 201
    )
    off = {"id": "ac", "record1_id": "a", "record2_id": "c", "state": "inactive"}
    assert client.post("/connections", json=off).status_code == 201

    def ids(state: str | None) -> list[str]:
        params = {"state": state} if state else {}
        response = client.get("/records/a/connections", params=params)
        assert response.status_code == 200, response.text
        return [item["connection_id"] for item in response.json()["items"]]

    assert ids(None) == ["ab"]
    assert ids("active") == ["ab"]
    assert ids("inactive") == ["ac"]
    assert ids("any") == ["ab", "ac"]
    assert client.get("/records/a/connections", params={"state": "all"}).status_code == 422


def test_an_upline_longer_than_10_hops_is_truncated_not_empty(client: TestClient) -> None:
    referral = {"id": "referral", "name": "Referral", "acyclic": True}
    assert client.post("/connection-roles", json=referral).status_code == 201
    back = {"id": "referred-by", "name": "Referred by", "reciprocal_role_id": "referral"}
    assert client.post("/connection-roles", json=back).status_code == 201
    people = [f"p{i:02d}" for i in range(14)]  # p00 referred p01 ... referred p13: 13 hops
    rows = [{"id": p, "type": "contact", "name": p} for p in people]
    assert client.post("/batch/records", json=rows).json()["created"] == 14
    links = [
        {"id": f"r{i:02d}", "record1_id": a, "record2_id": b, "record2_role_id": "referral"}
        for i, (a, b) in enumerate(itertools.pairwise(people))
    ]
    made = client.post("/batch/connections", json=links).json()
    assert made["created"] == 13 and not made["failed"], made

    def upline(start: str) -> tuple[list[str], bool]:
        body = client.get(f"/records/{start}/reach", params={"role": "Referral"}).json()
        return [r["id"] for r in body["upline"]], body["upline_truncated"]

    assert upline("p13") == ([f"p{i:02d}" for i in range(12, 2, -1)], True)  # nearest 10
    assert upline("p10") == ([f"p{i:02d}" for i in range(9, -1, -1)], False)  # root at 10
    assert upline("p05") == (["p04", "p03", "p02", "p01", "p00"], False)
    assert upline("p00") == ([], False)  # no referrer: empty, not truncated


def test_wrong_neo4j_password_is_503_with_retry_after_and_a_clear_log(
    settings: Settings, driver: Driver, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "not-the-password-4711"
    bad = settings.model_copy(update={"neo4j_password": SecretStr(wrong)})
    caplog.set_level(logging.INFO)
    with TestClient(create_app(bad), raise_server_exceptions=False) as client:
        answers = [
            client.get("/records"),
            client.post("/records", json={"type": "contact", "name": "N"}),
        ]
        answers += [client.get("/records/x/connections"), client.get("/ready")]
        for response in answers:
            assert response.status_code == 503, response.text
            assert int(response.headers["Retry-After"]) >= 1
            assert wrong not in response.text
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "refused the credentials of user 'neo4j'" in logged
    assert "NEO4J_PASSWORD" in logged
    assert wrong not in logged
    # One refused login at start-up, then nothing is sent to Neo4j while backing off: Neo4j's
    # own lock-out after repeated failures (dbms.security.auth_max_failed_attempts) never trips.
    refusals = [r for r in caplog.records if "refused the credentials" in r.getMessage()]
    assert len(refusals) == 1, logged
    # ... and the right password still works (the account was never locked).
    driver.verify_connectivity()
