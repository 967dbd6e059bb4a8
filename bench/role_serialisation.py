"""What per-role serialisation costs: many concurrent API writers creating connections.

    NEO4J_URI=bolt://127.0.0.1:<port> python -m bench.role_serialisation [--writers 32] [--each 40]

Every connection write locks the roles it uses (README "Rules and locking"), so writers that use
one role queue on that role's node; an acyclic role adds the loop search under the lock. This
runs `graphsvc serve` (one uvicorn process, on a free port) against the Neo4j in the environment
(it WIPES that database), creates `writers x each x 2` records with /batch/records, then per mode
releases `writers` concurrent clients that each POST `each` connections between fresh record
pairs (no duplicates, no loops: every request should be 201):

- `acyclic`: every connection with the acyclic role Referral (locks Referral and Referred by);
- `one_role`: every connection with Friend (not acyclic; locks Friend);
- `role_per_writer`: each writer its own role (the same locks, none shared);
- `roleless`: no role, no role lock: the unserialised reference.

It reports per mode the throughput, latency percentiles and statuses, and the ratios to
`roleless`, in a raw report `bench/results/role-serialisation-<UTC time>.json` with the load
average before and after (a shared machine inflates every mode; compare ratios, same run).
"""

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.bulk_baseline import wipe
from bench.common import RESULTS_DIR, machine, percentile
from bench.common import driver as make_driver
from graphsvc.config import get_settings

MODES = ("acyclic", "one_role", "role_per_writer", "roleless")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def roles(writers: int) -> list[dict[str, Any]]:
    own = [{"id": f"role-{w}", "name": f"Role {w}"} for w in range(writers)]
    return [
        {"id": "referral", "name": "Referral", "acyclic": True},
        {"id": "referred-by", "name": "Referred by", "reciprocal_role_id": "referral"},
        {"id": "friend", "name": "Friend", "reciprocal_role_id": "friend"},
        *own,
    ]


def body(mode: str, writer: int, i: int) -> dict[str, Any]:
    pair = {
        "id": f"{mode}-{writer}-{i}",
        "record1_id": f"{mode}-{writer}-{i}-a",
        "record2_id": f"{mode}-{writer}-{i}-b",
    }
    role = {"acyclic": "referral", "one_role": "friend", "role_per_writer": f"role-{writer}"}
    return pair | ({"record2_role_id": role[mode]} if mode in role else {})


async def run_mode(base: str, mode: str, writers: int, each: int) -> dict[str, Any]:
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    start = asyncio.Event()

    async def writer(client: httpx.AsyncClient, w: int) -> None:
        await start.wait()
        for i in range(each):
            t0 = time.perf_counter()
            response = await client.post("/connections", json=body(mode, w, i))
            latencies.append(time.perf_counter() - t0)
            statuses[response.status_code] += 1

    limits = httpx.Limits(max_connections=writers)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as client:
        tasks = [asyncio.create_task(writer(client, w)) for w in range(writers)]
        await asyncio.sleep(0.2)
        t0 = time.perf_counter()
        start.set()
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - t0
    n = writers * each
    return {
        "mode": mode,
        "connections": n,
        "seconds": round(elapsed, 2),
        "per_s": round(n / elapsed, 1),
        "p50_ms": round(percentile(latencies, 50) * 1000, 1),
        "p95_ms": round(percentile(latencies, 95) * 1000, 1),
        "max_ms": round(max(latencies) * 1000, 1),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
    }


async def scenario(base: str, writers: int, each: int) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(base_url=base, timeout=300) as client:
        for role in roles(writers):
            made = await client.post("/connection-roles", json=role)
            made.raise_for_status()
        records = [
            {"id": f"{mode}-{w}-{i}-{end}", "type": "contact", "name": f"{mode} {w} {i} {end}"}
            for mode in MODES
            for w in range(writers)
            for i in range(each)
            for end in "ab"
        ]
        for k in range(0, len(records), 5_000):
            made = await client.post("/batch/records", json=records[k : k + 5_000])
            made.raise_for_status()
            assert not made.json()["failed"], made.text
    results = []
    for mode in MODES:
        results.append(await run_mode(base, mode, writers, each))
        print(json.dumps(results[-1]), file=sys.stderr)
    return results


def wait_for(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit("error: graphsvc serve exited")
        try:
            if httpx.get(f"{base}/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    sys.exit("error: graphsvc serve did not answer /ready within 60 s")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--writers", type=int, default=32)
    parser.add_argument("--each", type=int, default=40, help="connections per writer and mode")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if not os.environ.get("NEO4J_URI"):
        parser.error("set NEO4J_URI to the Neo4j this benchmark may wipe")
    settings = get_settings()
    with make_driver(settings) as drv:
        wipe(drv, batch=1000)
    port = free_port()
    env = {**os.environ, "GRAPHSVC_PORT": str(port), "GRAPHSVC_API_KEYS": ""}
    base = f"http://127.0.0.1:{port}"
    load_before = [round(x, 1) for x in os.getloadavg()]
    server = subprocess.Popen(
        [sys.executable, "-m", "graphsvc", "serve"], env=env, stdout=subprocess.DEVNULL
    )
    try:
        wait_for(base, server)
        results = asyncio.run(scenario(base, args.writers, args.each))
    finally:
        server.terminate()
        server.wait(timeout=30)
    reference = next(r for r in results if r["mode"] == "roleless")["per_s"]
    report = {
        "machine": machine(),
        "neo4j_uri": settings.neo4j_uri,
        "writers": args.writers,
        "each": args.each,
        "load_before": load_before,
        "load_after": [round(x, 1) for x in os.getloadavg()],
        "modes": results,
        "throughput_vs_roleless": {r["mode"]: round(r["per_s"] / reference, 2) for r in results},
    }
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M")
    out = args.json or RESULTS_DIR / f"role-serialisation-{stamp}.json"
    out.write_text(json.dumps(report, indent=1) + "\n")
    for r in results:
        print(
            f"{r['mode']:<16} {r['per_s']:>8} conn/s  p50 {r['p50_ms']:>7} ms  "
            f"p95 {r['p95_ms']:>7} ms  {r['statuses']}"
        )
    print(f"throughput vs roleless: {report['throughput_vs_roleless']}; raw report {out}")
    print(f"load average {load_before} -> {report['load_after']}")


if __name__ == "__main__":
    main()
