"""API keys, scopes, the body limit, and what `serve` binds to."""

import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from neo4j import Driver

from graphsvc.api.app import create_app
from graphsvc.api.security import digest
from graphsvc.config import Settings
from tests.helpers import query

READ_KEY, WRITE_KEY = "gsk_read-key-for-tests", "gsk_write-key-for-tests"


@pytest.fixture
def keyed(settings: Settings, driver: Driver) -> Iterator[TestClient]:
    keys = f"reader:read:{digest(READ_KEY)},writer:write:{digest(WRITE_KEY)}"
    with TestClient(create_app(settings.model_copy(update={"api_keys": keys}))) as client:
        yield client


def test_keys_and_scopes(keyed: TestClient) -> None:
    body = {"id": "k1", "type": "contact", "name": "K"}
    missing = keyed.post("/records", json=body)
    assert missing.status_code == 401
    assert missing.json()["field"] == "X-API-Key"
    assert keyed.get("/records/k1", headers={"X-API-Key": "gsk_nope"}).status_code == 401
    forbidden = keyed.post("/records", json=body, headers={"X-API-Key": READ_KEY})
    assert forbidden.status_code == 403
    assert "scope read" in forbidden.json()["detail"]
    assert keyed.post("/records", json=body, headers={"X-API-Key": WRITE_KEY}).status_code == 201
    assert keyed.get("/records/k1", headers={"X-API-Key": READ_KEY}).status_code == 200
    bearer = keyed.get("/records/k1", headers={"Authorization": f"Bearer {READ_KEY}"})
    assert bearer.status_code == 200
    assert keyed.get("/health").status_code == 200  # probes stay open
    assert keyed.get("/ready").status_code == 200


def test_body_over_the_limit_is_413_and_writes_nothing(settings: Settings, driver: Driver) -> None:
    with TestClient(create_app(settings.model_copy(update={"max_body_bytes": 1000}))) as client:
        big = client.post("/records", json={"id": "big", "type": "contact", "name": "x" * 2000})
        assert big.status_code == 413
        assert "limit" in big.json()["detail"]
        batch = [{"id": f"b{i}", "type": "contact", "name": "y" * 50} for i in range(40)]
        too_many_bytes = client.post("/batch/records", json=batch)
        assert too_many_bytes.status_code == 413
        assert query(driver, "MATCH (n) RETURN count(n) AS n") == [{"n": 0}]
        small = client.post("/records", json={"id": "small", "type": "contact", "name": "small"})
        assert small.status_code == 201
    assert query(driver, "MATCH (n) RETURN collect(n.id) AS ids") == [{"ids": ["small"]}]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    ("keys", "expect"),
    [("", "binding to 127.0.0.1"), (f"a:read:{digest('k')}", "API keys required")],
)
def test_serve_binds_loopback_only_without_keys(settings: Settings, keys: str, expect: str) -> None:
    port = free_port()
    env = {
        "PATH": "/usr/bin:/bin",
        "GRAPHSVC_API_KEYS": keys,
        "NEO4J_URI": settings.neo4j_uri,
        "NEO4J_PASSWORD": settings.neo4j_password.get_secret_value(),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "graphsvc", "serve", "--host", "0.0.0.0", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert expect in first
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.2)
        listening = subprocess.run(
            ["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True
        ).stdout
        local = listening.split()[3]
        assert local == (f"0.0.0.0:{port}" if keys else f"127.0.0.1:{port}"), listening
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        if proc.stdout:
            proc.stdout.close()
