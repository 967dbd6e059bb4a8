"""A slow batch is stopped at GRAPHSVC_QUERY_TIMEOUT (503, nothing written, no row-by-row retry
afterwards), and `graphsvc serve` stops on SIGTERM within seconds even with a request stuck.

The batch is made slow for real: another transaction holds the write lock of a record the batch
updates, so the batch waits in Neo4j until its time limit."""

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from fastapi.testclient import TestClient
from neo4j import Driver

from graphsvc.api.app import create_app
from graphsvc.config import Settings
from tests.helpers import free_port, query

BATCH_MARK = "// Upsert a batch of records"


@contextmanager
def record_locked(driver: Driver, record_id: str) -> Iterator[None]:
    """Hold the write lock of a record in an open transaction until the block ends."""
    with driver.session() as session:
        tx = session.begin_transaction()
        try:
            tx.run("MATCH (n:Record {id: $id}) SET n.name = 'held'", id=record_id).consume()
            yield
        finally:
            tx.rollback()


def batch_transactions(driver: Driver) -> int:
    rows = query(
        driver,
        "SHOW TRANSACTIONS YIELD currentQuery WHERE currentQuery STARTS WITH $mark "
        "RETURN count(*) AS n",
        mark=BATCH_MARK,
    )
    return int(rows[0]["n"])


ROWS = [
    {"id": "locked", "type": "contact", "name": "Changed"},
    {"id": "new1", "type": "contact", "name": "New 1"},
    {"id": "new2", "type": "contact", "name": "New 2"},
]


def test_a_batch_stuck_past_the_query_timeout_is_503_and_writes_nothing(
    settings: Settings, driver: Driver
) -> None:
    with TestClient(create_app(settings.model_copy(update={"query_timeout": 1.0}))) as client:
        assert client.put("/records/locked", json={"type": "contact", "name": "Before"}).status_code
        with record_locked(driver, "locked"):
            started = time.monotonic()
            response = client.post("/batch/records", json=ROWS)
            waited = time.monotonic() - started
            assert response.status_code == 503, response.text
            assert response.headers["Retry-After"]
            assert "time limit" in response.json()["detail"]
            # Not retried row by row after the timeout (each row would wait its own second).
            assert waited < 2.9, waited
            assert batch_transactions(driver) == 0
        time.sleep(1.5)  # a retry left running would now get the lock and write
    rows = query(driver, "MATCH (n:Record) RETURN n.id AS id, n.name AS name ORDER BY id")
    assert rows == [{"id": "locked", "name": "Before"}]


@pytest.mark.slow
def test_serve_stops_on_sigterm_within_seconds_with_a_request_stuck(
    settings: Settings, driver: Driver
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "NEO4J_URI": settings.neo4j_uri,
        "NEO4J_PASSWORD": settings.neo4j_password.get_secret_value(),
        "GRAPHSVC_QUERY_TIMEOUT": "120",  # the batch would wait two minutes without SIGTERM
        "GRAPHSVC_API_KEYS": "",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "graphsvc", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    outcome: dict[str, object] = {}
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/ready", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        made = httpx.put(f"{base}/records/locked", json={"type": "contact", "name": "Before"})
        assert made.status_code == 201
        with record_locked(driver, "locked"):

            def post() -> None:
                try:
                    outcome["status"] = httpx.post(f"{base}/batch/records", json=ROWS, timeout=60)
                except httpx.HTTPError as exc:
                    outcome["error"] = exc

            client = threading.Thread(target=post)
            client.start()
            deadline = time.monotonic() + 20
            while batch_transactions(driver) == 0 and time.monotonic() < deadline:
                time.sleep(0.1)
            assert batch_transactions(driver) == 1, "the batch never reached Neo4j"
            started = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=20)
            stopped = time.monotonic() - started
            client.join(timeout=30)
        assert stopped < 15, stopped
        assert proc.returncode is not None
        deadline = time.monotonic() + 10
        while batch_transactions(driver) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert batch_transactions(driver) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()
    rows = query(driver, "MATCH (n:Record) RETURN n.id AS id, n.name AS name ORDER BY id")
    assert rows == [{"id": "locked", "name": "Before"}]
