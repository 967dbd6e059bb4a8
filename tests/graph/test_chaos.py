"""Every kind of write at once, with reads of the same records, over real HTTP, against `graphsvc serve --workers 2`.

test_races.py attacks each race of issue 11 on its own; this releases them all together (connection
creates, batch upserts reusing ids, PATCH and DELETE of connections, record PUT/DELETE and type
changes, role renames, narrowing and deletes) against two worker processes, many rounds over, and
judges the final graph with the same Cypher. It found two races the per-class tests had missed (a
record write racing its DELETE; a role rename racing a PATCH or DELETE of one of its connections),
each now a test of its own there.
"""

import asyncio
import os
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from neo4j import Driver

from graphsvc.config import Settings
from tests.graph.test_races import CLEAR, duplicates, loops, misapplied, stale_types, whole, wipe
from tests.helpers import free_port

pytestmark = pytest.mark.slow

ROUNDS = int(os.environ.get("CHAOS_ROUNDS", "8"))
# Every write ends within Neo4j's time limit (GRAPHSVC_QUERY_TIMEOUT, 10 s) plus the driver's
# retries of deadlocks (8 s): an answer later than this is a request stuck somewhere.
ANSWER_WITHIN = 60
RECORDS = [f"r{i}" for i in range(6)]
ROLES: list[dict[str, Any]] = [
    {"id": "referral", "name": "Referral", "acyclic": True},
    {"id": "referred-by", "name": "Referred by", "reciprocal_role_id": "referral"},
    {"id": "friend", "name": "Friend", "reciprocal_role_id": "friend", "record_types": ["contact"]},
    {"id": "colleague", "name": "Colleague"},
]
Request = tuple[str, str, Any]


@pytest.fixture
def api(settings: Settings, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "NEO4J_URI": settings.neo4j_uri,
        "NEO4J_PASSWORD": settings.neo4j_password.get_secret_value(),
        "GRAPHSVC_API_KEYS": "",
        "GRAPHSVC_ACCESS_LOG": "false",
    }
    cmd = [sys.executable, "-m", "graphsvc", "serve", "--port", str(port), "--workers", "2"]
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/ready", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "graphsvc serve never became ready"
            time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    text = log.read_text(errors="replace")
    if "Traceback" in text:
        pytest.fail(f"the service failed ({log}):\n" + text[text.index("Traceback") :][:8000])


def storm(rng: random.Random) -> list[Request]:
    """48 writes over 6 records and 4 roles, chosen at random (seeded per round)."""
    out: list[Request] = []

    def some_connection() -> str:
        return rng.choice(["base0", "base1", f"p{rng.randrange(48)}", "b4-0"])

    for n in range(48):
        kind = rng.choice(["post", "post", "batch", "batch", "patch", "delete", "record_delete",
                           "retype", "batch_record", "rename", "narrow", "role_delete"])  # fmt: skip
        a, b = rng.sample(RECORDS, 2)
        role = rng.choice(["referral", "referred-by", "friend", "colleague", None])
        if kind == "post":
            body = {"id": f"p{n}", "record1_id": a, "record2_id": b, "record2_role_id": role}
            if rng.random() < 0.2:
                body["record1_role_id"] = "referral"  # both sides acyclic: refused
            out.append(("POST", "/connections", body))
        elif kind == "batch":
            rows = []
            for j in range(rng.randint(1, 6)):
                x, y = rng.sample(RECORDS, 2)
                rows.append({"id": f"b{n % 5}-{j}", "record1_id": x, "record2_id": y,
                             "record2_role_id": rng.choice(["referral", "friend", None])})  # fmt: skip
            out.append(("POST", "/batch/connections", rows))
        elif kind == "patch":
            change = {"record1_role_id": None, "record2_role_id": role}
            state = {"state": rng.choice(["active", "inactive"])}
            out.append(("PATCH", f"/connections/{some_connection()}", rng.choice([change, state])))
        elif kind == "delete":
            out.append(("DELETE", f"/connections/{some_connection()}", None))
        elif kind == "record_delete":
            out.append(("DELETE", f"/records/{a}", None))
        elif kind == "retype":
            out.append(("PUT", f"/records/{a}", {"type": rng.choice(["contact", "account"]), "name": a}))  # fmt: skip
        elif kind == "batch_record":
            out.append(("POST", "/batch/records", [{"id": a, "type": "account", "name": a}]))
        elif kind == "rename":
            role_id = rng.choice(["referral", "friend", "colleague"])
            out.append(("PATCH", f"/connection-roles/{role_id}", {"name": f"{role_id} {n}"}))
        elif kind == "narrow":
            types = rng.choice([["contact"], [], ["account"]])
            out.append(("PATCH", f"/connection-roles/{rng.choice(['colleague', 'friend'])}", {"record_types": types}))  # fmt: skip
        else:
            out.append(("DELETE", f"/connection-roles/{rng.choice(['colleague', 'friend'])}", None))
    return out


def reads(rng: random.Random) -> list[Request]:
    """20 reads of the same records, released with the writes: a read racing a delete sees the
    record or connection or not, but never fails (graphsvc.network once did: an edge deleted
    between the search reaching it and reading its connection id; a record read once answered
    500 for a record deleted between the query's MATCH and its reading the properties, and a
    batch of connections for a role deleted between its role list's MATCH and reading it)."""
    out: list[Request] = []
    for _ in range(20):
        a, b = rng.sample(RECORDS, 2)
        role = rng.choice(["referral", "friend"])
        out.append(("GET", rng.choice([
            f"/records/{a}/network?depth=3",
            f"/records/{a}/reach?max_depth=3",
            f"/records/{a}/chains?role={role}&max_depth=3",
            f"/records/{a}/connections",
            f"/records/{a}",
            f"/paths/shortest?from={a}&to={b}",
            "/connection-roles",
            f"/connection-roles/{rng.choice(['colleague', 'friend'])}",
        ]), None))  # fmt: skip
    return out


async def round_(base: str, driver: Driver, seed: int, answered: set[str]) -> list[str]:
    wipe(driver)
    # The client closes idle connections before uvicorn's 5 s keep-alive does: a request sent
    # on a connection the server is closing fails in transport, which is not what this tests.
    limits = httpx.Limits(max_connections=64, keepalive_expiry=1)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as c:

        async def setup(method: str, path: str, body: dict[str, Any]) -> None:
            # 503 is a clear answer a client retries (a loaded machine's cold plans can pass
            # the write time limit); the set-up is not what is judged
            for _ in range(5):
                made = await c.request(method, path, json=body)
                if made.status_code != 503:
                    break
            assert made.status_code in (200, 201), made.text

        for rid in RECORDS:
            await setup("PUT", f"/records/{rid}", {"type": "contact", "name": rid})
        for body in ROLES:
            await setup("POST", "/connection-roles", body)
        for i, (one, two) in enumerate([("r0", "r1"), ("r1", "r2")]):
            chain = {"id": f"base{i}", "record1_id": one, "record2_id": two}
            await setup("POST", "/connections", chain | {"record2_role_id": "referral"})
        requests = storm(random.Random(seed)) + reads(random.Random(-seed - 1))
        gate = asyncio.Event()

        async def send(method: str, path: str, body: Any) -> httpx.Response | str:
            await gate.wait()
            try:
                return await c.request(method, path, json=body, timeout=ANSWER_WITHIN)
            except httpx.TimeoutException:
                return f"{method} {path} {body}: no answer within {ANSWER_WITHIN} s"

        tasks = [asyncio.create_task(send(*r)) for r in requests]
        await asyncio.sleep(0.05)
        gate.set()
        answers = await asyncio.gather(*tasks)
    problems = [a for a in answers if isinstance(a, str)]
    answered |= {
        _read_kind(r[1])
        for r, a in zip(requests, answers, strict=True)
        if r[0] == "GET" and not isinstance(a, str) and a.status_code == 200
    }
    problems += [
        f"{r[0]} {r[1]} -> {a.status_code} {a.text[:200]}"
        for r, a in zip(requests, answers, strict=True)
        if not isinstance(a, str) and a.status_code not in CLEAR
    ]
    for r, a in zip(requests, answers, strict=True):
        if not isinstance(a, str) and r[1].startswith("/batch") and a.status_code == 200:
            problems += [f"batch row {f}" for f in a.json()["failed"] if "Neo4j" in f["error"]]
    graph = whole(driver) + duplicates(driver) + loops(driver) + stale_types(driver)
    return problems + graph + misapplied(driver)


READ_KINDS = {"network", "reach", "chains", "connections", "shortest", "roles", "role"}


def _read_kind(path: str) -> str:
    if path.startswith("/connection-roles"):
        return "roles" if path == "/connection-roles" else "role"
    kind = path.split("?")[0].rsplit("/", 1)[-1]
    return kind if kind in READ_KINDS else "record"


def test_every_write_at_once_leaves_every_promise_kept(api: str, driver: Driver) -> None:
    broken = []
    answered: set[str] = set()
    for seed in range(ROUNDS):
        found = asyncio.run(round_(api, driver, seed, answered))
        if found:
            broken.append(f"round {seed}: {found[:5]}")
    print(f"CHAOS rounds={ROUNDS} violations={len(broken)} reads answered={sorted(answered)}")
    assert broken == [], "\n".join(broken)
    # Each kind of read found its record at least once: the reads read something.
    assert answered == READ_KINDS | {"record"}
