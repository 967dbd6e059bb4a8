"""Where the time of one read goes, layer by layer, for the operations of `bench/compare.py`.

    python -m bench.profile_reads bench/data/1m [--only hub network] [--rounds 20]

Each case runs through five nested layers, interleaved case by case (so a drifting load on a
shared machine weighs on all alike), and the p50 of each layer is reported with the step it adds:

- `server`: Neo4j's own time for the query (the driver's `result_available_after` +
  `result_consumed_after`), the floor of anything client-side;
- `driver`: the same query through the raw async driver, auto-commit in a READ session, rows
  as dicts (adds Bolt, the driver's Python and decoding the rows);
- `repo`: the repository/traversals call the route makes (adds building the answer: its models,
  or for chains, shortest paths and networks its JSON, serialised in graphsvc.graph.answers);
- `asgi`: the FastAPI app called in-process as an ASGI app (adds routing, dependencies, query
  validation and the models' JSON serialisation; no socket);
- `http`: `GET` on `graphsvc serve` (1 worker) over one keep-alive `http.client` connection,
  body parsed as JSON (adds uvicorn's HTTP, its access log, the loopback and the client).

Beside them, `http_no_access_log`: the same GET on a second server, uvicorn with `--no-access-log`
(what uvicorn's per-request access log line costs; `graphsvc serve` logs every request).
The first operation is the floor: `RETURN 1` and `GET /health`. The raw report goes to
`bench/results/profile-<data dir>-<UTC time>.json`.
"""

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from neo4j import READ_ACCESS, AsyncDriver

from bench.common import RESULTS_DIR, machine, other_processes, provenance, read_jsonl
from bench.compare_api import Api, ApiClient
from bench.compare_layers import Neo, Pg, Repo
from bench.compare_ops import FLOOR, Op, api_path, operations
from graphsvc.api.app import create_app
from graphsvc.config import get_settings
from graphsvc.graph.db import create_async_driver

LAYERS = ("server", "driver", "repo", "asgi", "http")
QUIET_PORT = int(os.environ.get("GRAPHSVC_BENCH_API_PORT", "48801")) + 1


class QuietApi(Api):
    """The API as `graphsvc serve` runs it, without uvicorn's access log."""

    def __init__(self) -> None:
        super().__init__(1)
        self.base = f"http://127.0.0.1:{QUIET_PORT}"

    def __enter__(self) -> "QuietApi":
        env = {**os.environ, "GRAPHSVC_API_KEYS": ""}
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "graphsvc.api.app:create_app",
                "--factory",
                "--port",
                str(QUIET_PORT),
                "--timeout-graceful-shutdown",
                "5",
                "--no-access-log",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.wait_ready()
        return self


class TimedNeo(Neo):
    """The driver layer, also keeping Neo4j's own time for the last query."""

    def __init__(self, driver: AsyncDriver, database: str, roles: list[dict[str, Any]]) -> None:
        super().__init__(driver, database, roles)
        self.server_ms = 0.0

    async def _query(self, query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        async with self.driver.session(
            database=self.database, default_access_mode=READ_ACCESS
        ) as s:
            result = await s.run(query, params)
            rows = [dict(r) async for r in result]
            summary = await result.consume()
        self.server_ms = float(
            (summary.result_available_after or 0) + (summary.result_consumed_after or 0)
        )
        return rows


async def asgi_get(app: Any, path: str) -> int:
    """One GET through the ASGI app in-process; the status."""
    route, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": route,
        "raw_path": route.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1")],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
        "state": {},
    }
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def profile(args: argparse.Namespace, report: dict[str, Any]) -> None:
    roles = read_jsonl(args.data / "roles.jsonl")
    settings = get_settings()
    driver = create_async_driver(settings)
    neo = TimedNeo(driver, settings.neo4j_database, roles)
    repo = Repo(driver, settings.neo4j_database, neo, settings.query_timeout)
    pg = Pg(roles)
    ops = [
        op
        for op in operations(args.data, pg)
        if op.name == FLOOR or not args.only or any(o in op.name for o in args.only)
    ]
    pg.conn.close()
    app = create_app(settings)
    results: list[dict[str, Any]] = report.setdefault("operations", [])
    with Api(1) as api, QuietApi() as quiet_api:
        client = ApiClient(api.base, neo)
        quiet = ApiClient(quiet_api.base, neo)
        async with app.router.lifespan_context(app):
            for op in ops:
                cases = op.cases[: args.cases]
                ms: dict[str, list[float]] = {layer: [] for layer in (*LAYERS, "http_no_log")}

                async def http(op: Op, case: dict[str, str]) -> None:
                    status, body = client.get(api_path(op, case, neo))
                    assert status in (200, 404), (status, body[:200])
                    json.loads(body)

                async def http_no_access_log(op: Op, case: dict[str, str]) -> None:
                    status, body = quiet.get(api_path(op, case, neo))
                    assert status in (200, 404), (status, body[:200])
                    json.loads(body)

                async def asgi(op: Op, case: dict[str, str]) -> None:
                    status = await asgi_get(app, api_path(op, case, neo))
                    assert status in (200, 404), status

                timed = {
                    "driver": neo.run,
                    "repo": repo.run,
                    "asgi": asgi,
                    "http": http,
                    "http_no_log": http_no_access_log,
                }
                if op.name == FLOOR:
                    del timed["repo"]
                for case in cases:  # warm up every layer once
                    for run in timed.values():
                        await run(op, case)
                for _ in range(args.rounds):
                    for case in cases:
                        for layer, run in timed.items():
                            t0 = time.perf_counter()
                            await run(op, case)
                            ms[layer].append((time.perf_counter() - t0) * 1000)
                            if layer == "driver":
                                ms["server"].append(neo.server_ms)
                p50 = {k: round(statistics.median(v), 3) for k, v in ms.items() if v}
                entry = {"op": op.name, "cases": len(cases), "rounds": args.rounds, "p50_ms": p50}
                results.append(entry)
                print(line(entry), file=sys.stderr)
        client.close()
        quiet.close()
    await driver.close()


def line(entry: dict[str, Any]) -> str:
    p = entry["p50_ms"]
    steps, before = [], 0.0
    for layer in LAYERS:
        if layer in p:
            steps.append(f"{layer} {p[layer]:.2f} (+{p[layer] - before:.2f})")
            before = p[layer]
    return f"{entry['op']}: " + ", ".join(steps)


def table(report: dict[str, Any]) -> str:
    rows = [
        "| operation | Neo4j server | + driver | + answer (repo) | + FastAPI (asgi) | + HTTP "
        "| HTTP total | without access log |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for e in report["operations"]:
        p = e["p50_ms"]
        if e["op"] == FLOOR:  # not nested: RETURN 1 through the driver, /health without Neo4j
            rows.append(
                f"| {e['op']} (totals, not steps) | - | RETURN 1: {p['driver']:.2f} | - "
                f"| /health: {p['asgi']:.2f} | - | /health: {p['http']:.2f} "
                f"| {p.get('http_no_log', float('nan')):.2f} |"
            )
            continue
        cells, before = [], 0.0
        for layer in LAYERS:
            if layer in p:
                cells.append(
                    f"{p[layer]:.2f}" if layer == "server" else f"+{p[layer] - before:.2f}"
                )
                before = p[layer]
            else:
                cells.append("-")
        totals = f"{p['http']:.2f} | {p.get('http_no_log', float('nan')):.2f}"
        rows.append(f"| {e['op']} | " + " | ".join(cells) + f" | {totals} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("data", type=Path, help="a directory written by bench.generate")
    parser.add_argument(
        "--only", nargs="*", help="only operations whose name contains one of these"
    )
    parser.add_argument("--cases", type=int, default=10, help="start records per operation")
    parser.add_argument("--rounds", type=int, default=10, help="passes over the cases")
    parser.add_argument("--json", type=Path, help="where the raw report goes")
    args = parser.parse_args(argv)
    stamp = time.strftime("%Y%m%dT%H%M", time.gmtime())
    args.json = args.json or RESULTS_DIR / f"profile-{args.data.name}-{stamp}.json"
    report: dict[str, Any] = {
        "kind": "profile_reads",
        "started_utc": stamp,
        "command": " ".join(["python -m bench.profile_reads", *(argv or sys.argv[1:])]),
        **provenance(),
        "machine": machine(),
        "load_before": [round(x, 2) for x in os.getloadavg()],
        "other_processes_before": other_processes(),
    }
    asyncio.run(profile(args, report))
    report["load_after"] = [round(x, 2) for x in os.getloadavg()]
    print(table(report))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=1, default=str) + "\n")
    print(f"raw report: {args.json}", file=sys.stderr)


if __name__ == "__main__":
    main()
