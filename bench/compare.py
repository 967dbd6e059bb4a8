"""graphsvc side by side with a tuned PostgreSQL, and its own layers against each other.

    python -m bench.compare bench/data/100k --load-neo4j          # my Neo4j: wipe + bulk load
    python -m bench.compare bench/data/1m --budget 20 --json out.json   # Neo4j already loaded

For one generated data set: loads it into PostgreSQL with COPY (timed; `bench/postgres.py`
starts the server), optionally into the Neo4j of the environment with the bare UNWIND loader
(`bench/bulk_baseline.py`, timed), checks that every operation returns the same result in
PostgreSQL, through the driver, the repository and the HTTP API for a sample of start records,
then times each operation per layer, the layers interleaved case by case:

- `pg`: the SQL in bench/sql through psycopg (one connection, prepared statements),
- `driver`: the service's Cypher file through the raw async driver as the service sends it (one
  auto-commit query in a READ session),
- `repo`: the repository call the API route makes,
- `api`: `GET` on `graphsvc serve` (1 worker) over one keep-alive connection (`http.client`);

then the API's throughput with `wrk` (8 connections) for 1 and 2 uvicorn workers, and the
workers' peak RSS. Every layer times the same start records after a warm-up (the check): the
numbers are warm (page cache and buffer pool hot, plans cached).
"""

import argparse
import asyncio
import http.client
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import psycopg
from neo4j import READ_ACCESS, AsyncDriver

from bench import postgres
from bench.common import (
    RESULTS_DIR,
    machine,
    other_processes,
    percentile,
    provenance,
    query,
    read_jsonl,
    rss_mb,
    starts,
)
from graphsvc import cypher
from graphsvc.config import get_settings
from graphsvc.errors import NotFoundError
from graphsvc.graph.db import create_async_driver
from graphsvc.graph.handle import Graph
from graphsvc.graph.repository import Repository
from graphsvc.graph.traversals import Traversals, reach_query, with_max_depth

CHAIN_LIMIT = 1000
FLOOR = "floor: SELECT 1 / RETURN 1 / GET /health"
RELATED_LIMIT = 100
API_PORT = int(os.environ.get("GRAPHSVC_BENCH_API_PORT", "48801"))
Result = Any


@dataclass
class Op:
    """One operation at one depth, and the start records (or pairs) it runs from."""

    name: str
    kind: str  # floor | record | related | chains | reach | network | shortest
    role: str | None  # a role id; None: every role
    depth: int
    cases: list[dict[str, str]]
    state: str = "active"  # "any": no edge property filtered (reach runs APOC's search)


@dataclass
class Timing:
    ms: list[float] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> dict[str, float]:
        return {
            "p50_ms": round(percentile(self.ms, 50), 3),
            "p95_ms": round(percentile(self.ms, 95), 3),
            "qps": round(len(self.ms) / self.seconds, 1) if self.seconds else 0.0,
            "n": len(self.ms),
        }


def operations(data: Path, pg: "Pg") -> list[Op]:
    """The issue's table (small calls, the hub page, reach from hub employees, network) and the
    earlier traversal cases, each with its start records from starts.json."""
    s = starts(data)
    roots, employees, rnd = s["referral_roots"], s["big_account_employees"], s["random"]
    contacts = [i for i in rnd if i.startswith("c")]
    pairs = [{"from": a, "to": b} for a, b in zip(rnd, rnd[1:] + employees[:1], strict=True)]
    pairs += [{"from": e, "to": r} for e, r in zip(employees[:10], rnd[::-1], strict=False)]
    ids = [{"id": i} for i in roots]
    small = [{"id": i} for i in pg.small_trees()]
    return [
        # The floor of each stack, to read the rows below against: the cheapest statement
        # (`SELECT 1`, `RETURN 1` as every read is sent) and the cheapest route (`GET /health`).
        Op(FLOOR, "floor", None, 0, [{"id": i} for i in rnd[:5]]),
        Op("record read", "record", None, 0, [{"id": i} for i in rnd]),
        Op("related friend", "related", "friend", 1, [{"id": i} for i in contacts]),
        Op("related referral", "related", "referral", 1, ids),
        Op("hub page: employees", "related", "employee", 1, [{"id": a} for a in s["big_accounts"]]),
        # The same page off accounts of 150-300 employees: a degree-independent page costs the same.
        Op(
            "page: employees, 150-300",
            "related",
            "employee",
            1,
            [{"id": a} for a in pg.page_accounts()],
        ),
        *(Op(f"reach referral d{d} small", "reach", "referral", d, small) for d in (2, 6)),
        Op("chains d6 small", "chains", "referral", 6, small),
        Op("shortest friend d6", "shortest", "friend", 6, pg.friend_pairs()),
        *(Op(f"chains d{d}", "chains", "referral", d, ids) for d in (2, 4, 6)),
        Op("reach referral d6", "reach", "referral", 6, ids),
        Op("shortest d6", "shortest", None, 6, pairs),
        *(
            Op(f"reach all d{d}", "reach", None, d, [{"id": e} for e in employees])
            for d in (2, 3, 4)
        ),
        *(
            Op(f"reach all d{d} state=any", "reach", None, d, [{"id": e} for e in employees], "any")
            for d in (2, 3)
        ),
        Op(
            "network d2 cap 300",
            "network",
            None,
            2,
            [{"id": i} for i in employees[:10] + roots[:10]],
        ),
    ]


# -- PostgreSQL ---------------------------------------------------------------------------------
class Pg:
    def __init__(self, roles: list[dict[str, Any]]) -> None:
        self.conn = postgres.connect()
        self.all_roles = [r["id"] for r in roles]
        self.reciprocal = {r["id"]: r["reciprocal_role_id"] for r in roles}
        self.sql = {
            name: postgres.sql(name)
            for name in (
                "record",
                "related",
                "chains",
                "reach_bfs",
                "reach_bfs_any",
                "upline",
                "shortest",
            )
        }
        # CREATE OR REPLACE: functions added since the data were loaded are there too.
        self.conn.execute(postgres.sql("functions"))

    def supports(self, op: Op) -> bool:
        return op.kind != "network"  # nothing to compare with: no SQL for it

    def small_trees(self) -> list[str]:
        return [r[0] for r in self.conn.execute(postgres.sql("small_trees")).fetchall()]

    def page_accounts(self) -> list[str]:
        """10 accounts with 150-300 active employees (an ordinary degree, still over a page)."""
        return [r[0] for r in self.conn.execute(postgres.sql("page_accounts")).fetchall()]

    def friend_pairs(self) -> list[dict[str, str]]:
        """20 (contact, a record three Friend hops away) pairs."""
        rows = self.conn.execute(postgres.sql("friend_pairs")).fetchall()
        return [{"from": a, "to": b} for a, b in rows]

    async def arun(self, op: Op, case: dict[str, str]) -> Result:
        return self.run(op, case)

    def run(self, op: Op, case: dict[str, str], limit: int = CHAIN_LIMIT) -> Result:
        roles = [op.role] if op.role else self.all_roles
        q = self.conn.execute
        if op.kind == "floor":
            return q("SELECT 1").fetchone()[0]  # type: ignore[index]
        if op.kind == "record":
            row = q(self.sql["record"], {"id": case["id"]}).fetchone()
            return row[0] if row else None
        if op.kind == "related":
            rows = q(
                self.sql["related"], {"id": case["id"], "role": op.role, "limit": RELATED_LIMIT}
            ).fetchall()
            return [(r[0], r[8]) for r in rows]
        if op.kind == "chains":
            params = {
                "id": case["id"],
                "role": op.role,
                "min_depth": 1,
                "max_depth": op.depth,
                "limit": limit,
            }
            chains, _records = q(self.sql["chains"], params).fetchone() or ([], [])
            return {tuple(path) for path, _conns in chains}
        if op.kind == "reach":
            sql = self.sql["reach_bfs_any" if op.state == "any" else "reach_bfs"]
            row = q(sql, {"id": case["id"], "roles": roles, "max_depth": op.depth}).fetchone()
            upline: list[str] = []
            if op.role:
                up = q(
                    self.sql["upline"], {"id": case["id"], "role": self.reciprocal[op.role]}
                ).fetchone()
                upline = [r[0] for r in (up[0] if up else [])]
            return (list(row[0]) if row else [], upline)
        pair: dict[str, Any] = {"from": case["from"], "to": case["to"], "roles": roles}
        row = q(self.sql["shortest"], {**pair, "max_depth": op.depth}).fetchone()
        return None if row is None else len(row[0]) - 1


# -- Neo4j: the Cypher through the driver, the repository, the API ------------------------------
class Neo:
    """The service's own Cypher files through the raw async driver, as the service sends them:
    one auto-commit query in a READ session (one round trip)."""

    def __init__(self, driver: AsyncDriver, database: str, roles: list[dict[str, Any]]) -> None:
        self.driver = driver
        self.database = database
        self.names = {r["id"]: r["name"] for r in roles}

    async def _query(self, query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        async with self.driver.session(
            database=self.database, default_access_mode=READ_ACCESS
        ) as s:
            result = await s.run(query, params)
            return [dict(r) async for r in result]  # not .data(): that walks every value

    async def run(self, op: Op, case: dict[str, str], limit: int = CHAIN_LIMIT) -> Result:
        state: dict[str, Any] = {"state": "active", "as_of": None}
        if op.kind == "floor":
            return (await self._query("RETURN 1 AS one", {}))[0]["one"]
        if op.kind == "record":
            rows = await self._query(cypher.load("record_get"), {"id": case["id"]})
            return rows[0]["record"]["id"] if rows else None
        if op.kind == "related":
            params = {
                "id": case["id"],
                "role": op.role,
                "record_type": None,
                "after": "",
                "limit": RELATED_LIMIT + 1,
                **state,
            }
            rows = await self._query(cypher.load("record_connections"), params)
            return [(i[0], i[8]["id"]) for i in rows[0]["items"][:RELATED_LIMIT]]
        if op.kind == "chains":
            params = {"id": case["id"], "role": op.role, "min_depth": 1, "limit": limit, **state}
            rows = await self._query(with_max_depth("traversal_chains", op.depth), params)
            return {tuple(c["records"]) for c in rows[0]["chains"] or []}
        if op.kind == "reach":
            params = {"id": case["id"], "role": op.role, "max_depth": op.depth}
            name = reach_query(op.state, None)
            if name == "traversal_reach":
                params |= {"state": None if op.state == "any" else op.state, "as_of": None}
            rows = await self._query(cypher.load(name), params)
            per_depth = list(rows[0]["per_depth"])
            while per_depth and per_depth[-1] == 0:
                per_depth.pop()
            return (per_depth, [r["id"] for r in rows[0]["upline"]])
        if op.kind == "network":
            params = {"id": case["id"], "roles": None, "max_depth": op.depth, "limit": 300}
            row = (await self._query(cypher.load("traversal_network"), {**params, **state}))[0]
            return network_result([r["id"] for r in row["records"]], [e[0] for e in row["edges"]])
        roles = [op.role] if op.role else None
        params = {"from": case["from"], "to": case["to"], "roles": roles, "limit": 1, **state}
        rows = await self._query(with_max_depth("traversal_shortest", op.depth), params)
        paths = rows[0]["paths"]
        return len(paths[0]["records"]) - 1 if paths else None


def network_result(nodes: list[str], connections: list[str]) -> Result:
    return (len(nodes), tuple(sorted(nodes)), tuple(sorted(set(connections))))


class Repo:
    """The repository calls the API routes make (the same objects, the same arguments)."""

    def __init__(self, driver: AsyncDriver, database: str, neo: Neo, timeout: float) -> None:
        self.repo = Repository(Graph(driver, database))
        self.traversals = Traversals(driver, database, timeout=timeout)
        self.neo = neo

    def supports(self, op: Op) -> bool:
        return op.kind != "floor"

    async def run(self, op: Op, case: dict[str, str]) -> Result:
        if op.kind == "record":
            try:
                return (await self.repo.get_record(case["id"])).id
            except NotFoundError:
                return None
        if op.kind == "network":
            net = await self.traversals.network(case["id"], depth=op.depth, limit=300)
            return network_result([n.id for n in net.nodes], [e.connection_id for e in net.edges])
        if op.kind == "related":
            page = await self.repo.record_connections(
                case["id"], self.neo.names[op.role or ""], None, "active", None, RELATED_LIMIT, None
            )
            return [(item.connection_id, item.record.id) for item in page.items]
        if op.kind == "chains":
            chains = await self.traversals.chains(
                case["id"], op.role or "", max_depth=op.depth, limit=CHAIN_LIMIT
            )
            return {tuple(r.id for r in c.records) for c in chains.chains}
        if op.kind == "reach":
            reach = await self.traversals.reach(
                case["id"], op.role, max_depth=op.depth, state=op.state
            )
            return (reach.per_depth, [r.id for r in reach.upline])
        roles = [self.neo.names[op.role]] if op.role else None
        try:
            paths = await self.traversals.shortest(
                case["from"], case["to"], roles, max_depth=op.depth
            )
        except NotFoundError:
            return None
        return paths.paths[0].depth


def api_path(op: Op, case: dict[str, str], neo: Neo) -> str:
    if op.kind == "floor":
        return "/health"
    if op.kind == "record":
        return f"/records/{case['id']}"
    if op.kind == "network":
        return f"/records/{case['id']}/network?{urlencode({'depth': op.depth, 'limit': 300})}"
    if op.kind == "related":
        query = {"role": op.role, "limit": RELATED_LIMIT}
        return f"/records/{case['id']}/connections?{urlencode(query)}"
    if op.kind == "chains":
        query = {"role": op.role, "max_depth": op.depth, "limit": CHAIN_LIMIT}
        return f"/records/{case['id']}/chains?{urlencode(query)}"
    if op.kind == "reach":
        query = {"max_depth": op.depth, **({"role": op.role} if op.role else {})}
        if op.state != "active":
            query["state"] = op.state
        return f"/records/{case['id']}/reach?{urlencode(query)}"
    query = {"from": case["from"], "to": case["to"], "max_depth": op.depth}
    if op.role:
        query["roles"] = op.role
    return f"/paths/shortest?{urlencode(query)}"


def api_result(op: Op, status: int, body: dict[str, Any]) -> Result:
    if op.kind == "floor":
        return 1 if status == 200 else None
    if op.kind == "record":
        return body["id"] if status == 200 else None
    if op.kind == "network":
        return network_result(
            [n["id"] for n in body["nodes"]], [e["connection_id"] for e in body["edges"]]
        )
    if op.kind == "related":
        return [(i["connection_id"], i["record"]["id"]) for i in body["items"]]
    if op.kind == "chains":
        return {tuple(r["id"] for r in c["records"]) for c in body["chains"]}
    if op.kind == "reach":
        return (list(body["per_depth"]), [r["id"] for r in body.get("upline", [])])
    if status == 404:
        return None
    return int(body["paths"][0]["depth"])


# -- checks and timings -------------------------------------------------------------------------
def same(op: Op, expected: Result, got: Result, full: Result) -> bool:
    """Equal results; a chain list cut at the limit only has to have as many, all real chains."""
    if op.kind == "chains" and len(expected) >= CHAIN_LIMIT:
        return bool(len(got) == len(expected) and got <= full)
    return bool(expected == got)


Run = Callable[[Op, dict[str, str]], Awaitable[Result]]


async def time_layers(
    layers: dict[str, Run], op: Op, cases: list[dict[str, str]], rounds: int
) -> dict[str, Timing]:
    """Every layer on every case in turn (interleaved), so that the load of this shared machine,
    which drifts over minutes, weighs on all layers alike."""
    timings = {layer: Timing() for layer in layers}
    for _ in range(rounds):
        for case in cases:
            for layer, run in layers.items():
                t0 = time.perf_counter()
                await run(op, case)
                elapsed = time.perf_counter() - t0
                timings[layer].ms.append(elapsed * 1000)
                timings[layer].seconds += elapsed
    return timings


WRK_SCRIPT = """
local paths = {%s}
local i = math.random(#paths)
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
done = function(summary, latency, requests)
  io.write(string.format('WRK {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p95_us": %%d, ' ..
    '"errors": %%d, "non2xx": %%d}\\n', summary.requests, summary.duration, latency:percentile(50),
    latency:percentile(95), summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout, summary.errors.status))
end
"""


class Api:
    """`graphsvc serve` with n workers, on loopback, for the Neo4j of the environment."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.proc: subprocess.Popen[bytes] | None = None
        self.base = f"http://127.0.0.1:{API_PORT}"

    def __enter__(self) -> "Api":
        graphsvc = str(Path(sys.executable).with_name("graphsvc"))
        env = {**os.environ, "GRAPHSVC_API_KEYS": ""}
        self.proc = subprocess.Popen(
            [graphsvc, "serve", "--port", str(API_PORT), "--workers", str(self.workers)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.wait_ready()
        return self

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.base + "/ready", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        self.__exit__()
        raise RuntimeError("the API did not become ready in 60 s")

    def __exit__(self, *_: object) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, 15)
            self.proc.wait(timeout=30)

    def worker_pids(self) -> list[int]:
        """The processes that serve requests: the server itself, or uvicorn's worker children
        (not the supervisor, nor multiprocessing's small helper)."""
        assert self.proc is not None
        if self.workers == 1:
            return [self.proc.pid]
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True)
        return [int(p) for p in out.stdout.split() if rss_mb(int(p)) > 30]

    def wrk(self, paths: list[str], connections: int, seconds: float) -> dict[str, Any]:
        script = WRK_SCRIPT % ", ".join(json.dumps(p) for p in paths)
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
            f.write(script)
        peak: dict[int, float] = {}
        stop = threading.Event()

        def sample() -> None:
            while not stop.wait(0.25):
                for pid in self.worker_pids():
                    peak[pid] = max(peak.get(pid, 0.0), rss_mb(pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            out = subprocess.run(
                [
                    "wrk",
                    "-t",
                    str(min(2, connections)),
                    "-c",
                    str(connections),
                    "-d",
                    f"{round(seconds)}s",
                    "--timeout",
                    "60s",
                    "-s",
                    f.name,
                    self.base,
                ],
                capture_output=True,
                text=True,
                check=True,
            )
        finally:
            stop.set()
            sampler.join()
            os.unlink(f.name)
        line = next(x for x in out.stdout.splitlines() if x.startswith("WRK "))
        r = json.loads(line[4:])
        return {
            "p50_ms": round(r["p50_us"] / 1000, 3),
            "p95_ms": round(r["p95_us"] / 1000, 3),
            "qps": round(r["requests"] / (r["duration_us"] / 1e6), 1),
            "n": r["requests"],
            "errors": r["errors"],
            "non2xx": r["non2xx"],
            "rss_mb_max_per_worker": round(max(peak.values(), default=0.0), 1),
        }


# -- the run ------------------------------------------------------------------------------------
class ApiClient:
    """The API as one more layer: one keep-alive HTTP/1.1 connection, one request at a time.

    The standard library's `http.client`, not httpx: the layer measures the service, and httpx's
    pure-Python request machinery cost ~0.4-0.5 ms per request on the shared 2-core box (GET
    /health: 1.00 ms through httpx, 0.52 ms through http.client, same server, interleaved), which
    the API column then carried on every operation. The body is still read and parsed as JSON."""

    def __init__(self, base: str, neo: Neo) -> None:
        self.host, port = base.removeprefix("http://").split(":")
        self.port = int(port)
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=600)
        self.neo = neo

    def get(self, path: str) -> tuple[int, bytes]:
        for attempt in (1, 2):
            try:
                self.conn.request("GET", path)
                response = self.conn.getresponse()
                return response.status, response.read()
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()  # the server closed the kept-alive connection: reconnect once
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def run(self, op: Op, case: dict[str, str]) -> Result:
        status, body = self.get(api_path(op, case, self.neo))
        if status not in (200, 404):
            return ("HTTP", status, body[:200].decode(errors="replace"))
        return api_result(op, status, json.loads(body))

    def close(self) -> None:
        self.conn.close()


async def check_and_time(args: argparse.Namespace, report: dict[str, Any]) -> None:
    data: Path = args.data
    roles = read_jsonl(data / "roles.jsonl")
    settings = get_settings()
    driver = create_async_driver(settings)
    pg = Pg(roles)
    neo = Neo(driver, settings.neo4j_database, roles)
    repo = Repo(driver, settings.neo4j_database, neo, settings.query_timeout)
    memory, _, _ = await driver.execute_query(
        "SHOW SETTINGS YIELD name, value WHERE name STARTS WITH 'server.memory' RETURN name, value",
        database_=settings.neo4j_database,
    )
    report["neo4j_settings"] = {r["name"]: r["value"] for r in memory}
    started = time.perf_counter()
    warmed, _, _ = await driver.execute_query(
        query("warm_page_cache"), database_=settings.neo4j_database
    )
    report["warm_up"] = dict(warmed[0]) | {"seconds": round(time.perf_counter() - started, 1)}
    print(f"page cache warmed: {report['warm_up']}", file=sys.stderr)
    ops = [
        op for op in operations(data, pg) if not args.only or any(o in op.name for o in args.only)
    ]
    results: list[dict[str, Any]] = report.setdefault("operations", [])
    plans: list[tuple[Op, list[dict[str, str]]]] = []
    api = Api(1).__enter__() if args.api_workers else None
    client = ApiClient(api.base, neo) if api else None
    try:
        for op in ops:
            entry: dict[str, Any] = {"op": op.name, "mismatches": []}
            results.append(entry)
            layers: dict[str, Run] = {"pg": pg.arun} if pg.supports(op) else {}
            layers |= neo4j_layers(op, neo, repo)
            if client:
                layers["api"] = client.run
            # The reference answer: PostgreSQL's, or the driver's where there is no SQL (network).
            reference: Run = pg.arun if pg.supports(op) else neo.run
            ref_name = "pg" if pg.supports(op) else "driver"
            # Check (and warm up): the reference's full answer against every other layer, for
            # the start records that fit twice the budget (at least 3).
            ref_ms: list[float] = []
            neo_ms: list[float] = []
            sizes: list[Any] = []
            checked: list[dict[str, str]] = []
            started = time.perf_counter()
            for case in op.cases:
                if len(checked) >= 3 and time.perf_counter() - started > 2 * args.budget:
                    break
                t0 = time.perf_counter()
                expected = await reference(op, case)
                ref_ms.append((time.perf_counter() - t0) * 1000)
                full = pg.run(op, case, limit=10**7) if op.kind == "chains" else None
                for layer, call in layers.items():
                    if layer == ref_name:
                        continue
                    t0 = time.perf_counter()
                    got = await call(op, case)
                    if layer == "driver":
                        neo_ms.append((time.perf_counter() - t0) * 1000)
                    if not same(op, expected, got, full):
                        entry["mismatches"].append(
                            {
                                "layer": layer,
                                "case": case,
                                ref_name: _show(expected),
                                layer: _show(got),
                            }
                        )
                checked.append(case)
                sizes.append(_size(expected))
            entry["checked"] = len(checked)
            entry["result_size"] = sorted(sizes, key=lambda x: (x is None, x))[len(sizes) // 2]
            # As many cases as fit the budget at the slower of PostgreSQL's and the driver's pace.
            per_case = max(statistics.median(ref_ms), statistics.median(neo_ms or ref_ms)) / 1000
            n = max(3, min(len(checked), int(args.budget / max(per_case, 1e-6))))
            cases = checked[:n]
            rounds = max(1, min(args.rounds, int(args.budget / max(per_case * n, 1e-6))))
            entry["cases"], entry["rounds"] = n, rounds
            print(
                f"{op.name}: {len(entry['mismatches'])} mismatches, timing {n} cases x {rounds}",
                file=sys.stderr,
            )
            for layer, timing in (await time_layers(layers, op, cases, rounds)).items():
                entry[layer] = timing.summary()
            plans.append((op, cases))
    finally:
        await driver.close()
        pg.conn.close()
        if client:
            client.close()
        if api:
            api.__exit__()
    if args.api_workers and args.api_seconds > 0:
        run_wrk(args, plans, neo, results)


def neo4j_layers(op: Op, neo: "Neo", repo: "Repo") -> dict[str, Run]:
    layers: dict[str, Run] = {"driver": neo.run}
    if repo.supports(op):
        layers["repo"] = repo.run
    return layers


def run_wrk(
    args: argparse.Namespace,
    plans: list[tuple[Op, list[dict[str, str]]]],
    neo: Neo,
    results: list[dict[str, Any]],
) -> None:
    """Throughput under 8 concurrent connections, per worker count, and the workers' RSS."""
    by_name = {e["op"]: e for e in results}
    for workers in args.api_workers:
        with Api(workers) as api:
            for op, cases in plans:
                entry = by_name[op.name]
                # Only where one request takes under a second (else it only measures queueing),
                # long enough for a few passes over the cases.
                per_request = entry["driver"]["p50_ms"] / 1000
                if per_request >= 1.0:
                    continue
                paths = [api_path(op, c, neo) for c in cases]
                seconds = min(60.0, max(args.api_seconds, 3 * per_request * len(paths)))
                entry[f"api_w{workers}_c8"] = api.wrk(paths, 8, seconds)
                print(f"{op.name}: w{workers} c8 {entry[f'api_w{workers}_c8']}", file=sys.stderr)


def _show(result: Result) -> Any:
    if isinstance(result, set):
        return {"count": len(result), "sample": sorted(result)[:3]}
    return result


def _size(result: Result) -> Any:
    if isinstance(result, (set, list)) and not (
        isinstance(result, list) and result and isinstance(result[0], int)
    ):
        return len(result)
    if isinstance(result, tuple):
        # network: (records, ids, connections); reach: (per depth, upline)
        return result[0] if isinstance(result[0], int) else sum(result[0])
    if isinstance(result, str):
        return 1  # one record
    return result


def ratios(entry: dict[str, Any]) -> dict[str, float]:
    """p50 ratios: the API and the driver against PostgreSQL, the API against the driver."""
    p50 = {k: entry[k]["p50_ms"] for k in ("pg", "driver", "repo", "api") if entry.get(k)}
    out: dict[str, float] = {}
    for a, b in (("api", "pg"), ("driver", "pg"), ("api", "driver"), ("repo", "driver")):
        if p50.get(a) and p50.get(b):
            out[f"{a}/{b}"] = round(p50[a] / p50[b], 2)
    return out


def table(report: dict[str, Any]) -> str:
    """The markdown table of one run: p50/p95 ms per layer, throughput, RSS and the ratios."""
    head = (
        "| operation | size | PG | driver | repo | API | API qps c8 (1 / 2 workers) "
        "| RSS MB/worker | API÷PG | driver÷PG | API÷driver |"
    )
    lines = [head, "|" + "---|" * 11]

    def pp(e: dict[str, Any], k: str) -> str:
        v = e.get(k)
        return f"{v['p50_ms']:.2f} / {v['p95_ms']:.2f}" if v else "-"

    for e in report["operations"]:
        r = ratios(e)
        c8 = " / ".join(str(e[k]["qps"]) if k in e else "-" for k in ("api_w1_c8", "api_w2_c8"))
        rss = max((e[k]["rss_mb_max_per_worker"] for k in e if k.endswith("_c8")), default=0)
        flag = " (MISMATCH)" if e["mismatches"] else ""
        cells = [
            f"{e['op']}{flag}",
            "-" if e.get("result_size") is None else str(e["result_size"]),
            *(pp(e, k) for k in ("pg", "driver", "repo", "api")),
            c8,
            str(rss or "-"),
            *(str(r.get(k, "-")) for k in ("api/pg", "driver/pg", "api/driver")),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("data", type=Path, help="a directory written by bench.generate")
    parser.add_argument(
        "--load-neo4j",
        action="store_true",
        help="wipe the Neo4j of the environment and bulk load it",
    )
    parser.add_argument(
        "--skip-pg-load", action="store_true", help="PostgreSQL already holds this data"
    )
    parser.add_argument(
        "--budget", type=float, default=6.0, help="seconds per operation and layer (default 6)"
    )
    parser.add_argument(
        "--rounds", type=int, default=5, help="at most this many passes over the cases"
    )
    parser.add_argument(
        "--api-workers",
        default="1,2",
        help="uvicorn worker counts to time the API with ('' for none)",
    )
    parser.add_argument(
        "--api-seconds", type=float, default=5.0, help="seconds per wrk run (0: no wrk runs)"
    )
    parser.add_argument(
        "--only", nargs="*", help="only operations whose name contains one of these"
    )
    parser.add_argument(
        "--json",
        type=Path,
        help="where the raw report goes (default bench/results/compare-<data dir>-<UTC time>.json)",
    )
    args = parser.parse_args(argv)
    # A plain SIGTERM would skip the `finally` that stops the API server this run started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    args.api_workers = [int(w) for w in args.api_workers.split(",") if w.strip()]
    if args.api_workers and args.api_seconds > 0 and not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install -y wrk (or --api-workers '')")

    manifest = json.loads((args.data / "manifest.json").read_text())
    stamp = time.strftime("%Y%m%dT%H%M", time.gmtime())
    args.json = args.json or RESULTS_DIR / f"compare-{args.data.name}-{stamp}.json"
    report: dict[str, Any] = {
        "kind": "compare",
        "started_utc": stamp,
        "command": " ".join(["python -m bench.compare", *(argv or sys.argv[1:])]),
        **provenance(),
        "data": str(args.data),
        "records": manifest["records"],
        "connections": manifest["connections"],
        "machine": machine(),
        "postgres": None,
        "neo4j_uri": get_settings().neo4j_uri,
    }
    postgres.start()
    report["postgres"] = postgres.version()
    if not args.skip_pg_load:
        report["pg_load"] = postgres.load(args.data)
        print(f"PostgreSQL COPY: {report['pg_load']}", file=sys.stderr)
    if args.load_neo4j:
        report["neo4j_load"] = neo4j_load(args.data)
    with psycopg.connect(postgres.dsn()) as conn:
        conn.execute(
            "SELECT pg_prewarm(c.oid) FROM pg_class c WHERE c.relname IN ('records', 'connections', 'connections_from', 'connections_to', 'records_pkey')"
        ) if _has_prewarm(conn) else None
    asyncio.run(check_and_time(args, report))
    report["load_after"] = [round(x, 2) for x in os.getloadavg()]
    report["other_processes_after"] = other_processes()
    print(table(report))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=1, default=str) + "\n")
    print(f"raw report: {args.json}", file=sys.stderr)


def _has_prewarm(conn: psycopg.Connection[Any]) -> bool:
    try:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        conn.commit()
        return True
    except psycopg.Error:
        conn.rollback()
        return False


def neo4j_load(data: Path) -> dict[str, Any]:
    """Wipe the Neo4j of the environment and load `data` with the bare UNWIND loader (timed)."""
    from bench import bulk_baseline, common

    with common.driver(get_settings()) as drv:
        bulk_baseline.wipe(drv)
        bulk_baseline.apply_schema()
        result = bulk_baseline.load(drv, data, 2_000, progress=False)
    return result


if __name__ == "__main__":
    main()
