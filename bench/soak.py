"""Soak: mixed read/write load at a fixed rate against a live `graphsvc serve`; not part of CI.

    python -m bench.soak --seconds 600 --rate 50

Starts the API as a subprocess (against NEO4J_URI / the local Neo4j), seeds a few hundred
records, then sends `rate` requests per second for `seconds`: 70% reads (a record, its
connections), 20% connection creates, 10% deletes. Reports the service's RSS after warm-up and at
the end (drift goal < 10%), latency percentiles and the error count (goal 0: any 5xx or
transport error; 404/409 from racing deletes are expected answers, not errors).
"""

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def soak(base: str, pid: int, seconds: float, rate: float, records: int) -> dict[str, float]:
    rng = random.Random(1)
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        for i in range(records):
            await client.put(f"/records/soak-{i}", json={"type": "contact", "name": f"Soak {i}"})
        await client.post(
            "/connection-roles",
            json={"id": "soak-friend", "name": "Soak friend", "reciprocal_role_id": "soak-friend"},
        )
        live: list[str] = []
        latencies: list[float] = []
        errors = 0
        samples: list[tuple[float, float]] = []
        start = time.monotonic()
        sent = 0
        pending: set[asyncio.Task[None]] = set()

        async def one(kind: str) -> None:
            nonlocal errors
            t0 = time.perf_counter()
            try:
                if kind == "read":
                    rid = f"soak-{rng.randrange(records)}"
                    r = await client.get(
                        f"/records/{rid}/connections" if rng.random() < 0.5 else f"/records/{rid}"
                    )
                elif kind == "create":
                    a, b = rng.sample(range(records), 2)
                    r = await client.post(
                        "/connections",
                        json={
                            "record1_id": f"soak-{a}",
                            "record2_id": f"soak-{b}",
                            "record2_role_id": "soak-friend",
                        },
                    )
                    if r.status_code == 201:
                        live.append(r.json()["id"])
                else:
                    if not live:
                        return
                    r = await client.delete(f"/connections/{live.pop(rng.randrange(len(live)))}")
                if r.status_code >= 500:
                    errors += 1
            except httpx.HTTPError:
                errors += 1
            latencies.append(time.perf_counter() - t0)

        while (elapsed := time.monotonic() - start) < seconds:
            due = int(elapsed * rate)
            while sent < due:
                kind = rng.choices(["read", "create", "delete"], [70, 20, 10])[0]
                task = asyncio.create_task(one(kind))
                pending.add(task)
                task.add_done_callback(pending.discard)
                sent += 1
            if not samples or elapsed - samples[-1][0] >= 10:
                samples.append((elapsed, rss_mb(pid)))
            await asyncio.sleep(0.005)
        await asyncio.gather(*pending)
    warm = next((mb for t, mb in samples if t >= min(60, seconds / 5)), samples[0][1])
    end = rss_mb(pid)
    latencies.sort()
    return {
        "requests": sent,
        "errors": errors,
        "rss_warm_mb": warm,
        "rss_end_mb": end,
        "rss_drift_pct": 100 * (end - warm) / warm,
        "p50_ms": 1000 * statistics.median(latencies),
        "p95_ms": 1000 * latencies[int(0.95 * (len(latencies) - 1))],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--rate", type=float, default=50, help="requests per second")
    parser.add_argument("--records", type=int, default=300)
    parser.add_argument("--port", type=int, default=18090)
    args = parser.parse_args()
    with subprocess.Popen(
        [sys.executable, "-m", "graphsvc", "serve", "--port", str(args.port)],
        env=os.environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    ) as server:
        base = f"http://127.0.0.1:{args.port}"
        try:
            for _ in range(120):
                try:
                    if httpx.get(f"{base}/ready").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.5)
            result = asyncio.run(soak(base, server.pid, args.seconds, args.rate, args.records))
        finally:
            server.terminate()
    for key, value in result.items():
        print(f"{key:>14}: {value:.1f}")


if __name__ == "__main__":
    main()
