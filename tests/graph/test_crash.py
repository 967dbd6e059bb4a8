"""kill -9 of Neo4j during a burst of API creates: after restart no connection is half-written.

Every request creates a NEW connection (a pair of records no other request uses), so the
requests in flight at the kill are real writes, not duplicates heading for a 409: a create split
over two transactions would leave a key without edges or edges without a key, and the Cypher
below (written here, not `graphsvc check`, which is code under test) would find it.
"""

import asyncio
import itertools
import os
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from neo4j import Driver, GraphDatabase
from neo4j.exceptions import ServiceUnavailable

from graphsvc.api.app import create_app
from graphsvc.config import Settings
from graphsvc.graph import handle
from graphsvc.graph.handle import Graph
from graphsvc.neo4j_local import LocalNeo4j
from tests.helpers import free_port, local_test_settings, run_check

pytestmark = pytest.mark.slow


def broken(driver: Driver) -> list[str]:
    """Connections that are not whole: a key without both edges or records, an edge without key."""
    rows, _, _ = driver.execute_query(
        """
        MATCH (k:ConnectionKey)
        OPTIONAL MATCH (a:Record {id: k.record1_id})-[e1 {connection_id: k.id, side: 1}]->
                       (b:Record {id: k.record2_id})
        OPTIONAL MATCH (b)-[e2 {connection_id: k.id, side: 2}]->(a)
        OPTIONAL MATCH ()-[any {connection_id: k.id}]->()
        WITH k, e1, e2, count(any) AS edges
        WHERE e1 IS NULL OR e2 IS NULL OR edges <> 2
        RETURN k.id + ' is not whole' AS what
        UNION ALL
        MATCH ()-[e]->()
        WHERE NOT EXISTS { MATCH (:ConnectionKey {id: e.connection_id}) }
        RETURN coalesce(e.connection_id, '?') + ' has an edge without key' AS what
        """
    )
    return [r["what"] for r in rows]


@pytest.fixture(scope="module")
def crash_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalNeo4j, Settings]]:
    settings = local_test_settings(
        neo4j_home=tmp_path_factory.mktemp("crash"),
        neo4j_bolt_port=free_port(),
        neo4j_http_port=free_port(),
        neo4j_heap="512m",
        neo4j_pagecache="256m",
    )
    server = LocalNeo4j(settings)
    server.start()
    yield server, settings
    server.stop()


def test_kill_9_during_api_writes_leaves_no_half_pairs(
    crash_server: tuple[LocalNeo4j, Settings],
) -> None:
    server, settings = crash_server
    pairs = list(itertools.combinations(range(40), 2))[:600]
    bodies = [
        {
            "id": f"c{i}",
            "record1_id": f"r{a}",
            "record2_id": f"r{b}",
            **({"record2_role_id": "friend"} if i % 3 else {}),
            "description": f"burst {i}",
        }
        for i, (a, b) in enumerate(pairs)
    ]
    with TestClient(create_app(settings)) as client:
        for i in range(40):
            client.put(f"/records/r{i}", json={"type": "contact", "name": f"R{i}"})
        client.post(
            "/connection-roles",
            json={"id": "friend", "name": "Friend", "reciprocal_role_id": "friend"},
        )
        done = threading.Event()
        outcomes: list[int] = []

        def post(body: dict[str, str]) -> None:
            outcomes.append(client.post("/connections", json=body).status_code)
            if len(outcomes) == 60:
                done.set()

        with ThreadPoolExecutor(max_workers=8) as pool:
            futures = [pool.submit(post, b) for b in bodies]
            assert done.wait(120)
            pid = server.pid()
            assert pid is not None
            os.kill(pid, signal.SIGKILL)  # mid-burst, with writes in flight
            for future in futures:
                future.cancel()  # those not started yet; the ones in flight run into the kill
            for future in futures:
                if not future.cancelled():
                    future.result()
        assert set(outcomes) <= {201, 409, 503}, set(outcomes)
        assert 503 in outcomes  # the kill really cut requests off
        ok = outcomes.count(201)

        deadline = time.monotonic() + 30
        while server.pid() is not None and time.monotonic() < deadline:
            time.sleep(0.2)
        server.start()  # recovery from the transaction log happens here
        auth = (settings.neo4j_user, settings.neo4j_password.get_secret_value())
        with GraphDatabase.driver(settings.neo4j_uri, auth=auth) as driver:
            assert broken(driver) == []
            keys = driver.execute_query("MATCH (k:ConnectionKey) RETURN count(k) AS n").records[0][
                "n"
            ]
            assert keys >= ok  # every 201 survived (a commit whose answer was lost may add more)
            assert keys < len(bodies)  # the kill cut the burst short: some creates never happened
        assert run_check(settings).problems == []

        # Re-running the same writes completes the set: each is created or already there.
        rerun = [client.post("/connections", json=b).status_code for b in bodies]
        assert set(rerun) <= {201, 409}
        with GraphDatabase.driver(settings.neo4j_uri, auth=auth) as driver:
            keys = driver.execute_query("MATCH (k:ConnectionKey) RETURN count(k) AS n").records[0][
                "n"
            ]
            edges = driver.execute_query("MATCH ()-[e]->() RETURN count(e) AS n").records[0]["n"]
            assert broken(driver) == []
    assert keys == len(bodies)  # every pair is new: each create happened exactly once
    assert edges == 2 * keys
    assert run_check(settings).problems == []


async def _write_frozen(settings: Settings) -> str:
    async with Graph.open(settings, timeout=1.0) as graph:
        await graph.write(lambda tx: tx.run("RETURN 1"))  # connected before the freeze
        os.kill(settings_pid(settings), signal.SIGSTOP)
        try:
            await graph.write(lambda tx: tx.run("CREATE (:Frozen)"))
        except ServiceUnavailable as exc:
            return str(exc)
        finally:
            os.kill(settings_pid(settings), signal.SIGCONT)
    return "answered"


def settings_pid(settings: Settings) -> int:
    pid = LocalNeo4j(settings).pid()
    assert pid is not None
    return pid


def test_a_frozen_neo4j_is_503_within_the_deadline_not_a_hang(
    crash_server: tuple[LocalNeo4j, Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGSTOP: Neo4j keeps its sockets open and answers nothing, as behind a network that drops
    packets. No query time limit ends that (Neo4j is not running to enforce it) and the driver
    times out no socket read (graphsvc's Neo4j sends no recv-timeout hint), so the API's request
    deadline answers, and a load's or a sync's write (`Graph.write`) gives up as for a Neo4j
    that is down."""
    server, settings = crash_server
    if server.pid() is None:
        server.start()  # the kill test before this one may have left it stopped
    monkeypatch.setattr(handle, "SILENT_GRACE", 2.0)
    started = time.monotonic()
    assert "did not answer a write within 4 s" in asyncio.run(_write_frozen(settings))
    assert time.monotonic() - started < 15
    app = create_app(settings.model_copy(update={"request_deadline": 3.0}))
    with TestClient(app) as client:
        assert client.put("/records/f1", json={"type": "contact", "name": "F"}).status_code in (
            200,
            201,
        )
        pid = server.pid()
        assert pid is not None
        os.kill(pid, signal.SIGSTOP)
        try:
            started = time.monotonic()
            read = client.get("/records/f1")
            write = client.patch("/records/f1", json={"name": "G"})
            took = time.monotonic() - started
        finally:
            os.kill(pid, signal.SIGCONT)
        assert (read.status_code, write.status_code) == (503, 503), (read.text, write.text)
        assert "did not answer within 3 s" in read.json()["detail"]
        assert read.headers["retry-after"] == "5"
        assert 6 <= took < 15
        # Thawed, Neo4j answers again on fresh connections (the cut ones were closed).
        deadline = time.monotonic() + 30
        while client.get("/records/f1").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert client.get("/records/f1").json()["name"] in ("F", "G")
