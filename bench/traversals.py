"""Times each traversal endpoint over many start records: p50/p95, warm cache.

    NEO4J_URI=bolt://127.0.0.1:57688 python -m bench.traversals bench/data/1m [--repeat 3]

The graph must already be in that Neo4j (`python -m bench.bulk_baseline bench/data/1m --wipe`);
this script only reads. It starts the API (`uvicorn`, one worker, as `graphsvc serve` does) on a
free port and sends requests over HTTP with one keep-alive client, one at a time, so a figure is
the whole request: HTTP, FastAPI, the driver, Neo4j. Start records come from the generator's
`starts.json`: half random, half referral roots of big trees and employees of the biggest
accounts. Every request runs once to warm the page cache and the query plans before it is timed.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from bench.common import machine, percentile, starts

Case = tuple[str, str, dict[str, Any]]  # (group, url, params)


def cases(data: Path) -> dict[str, list[Case]]:
    s = starts(data)
    random_ids, roots, employees = s["random"], s["referral_roots"], s["big_account_employees"]
    half = len(random_ids) // 2
    mixed = [("random", r) for r in random_ids] + [
        *(("root", r) for r in roots[:half]),
        *(("employee", e) for e in employees[:half]),
    ]
    pairs = list(zip(mixed, mixed[1:] + mixed[:1], strict=True))
    return {
        # The floor: one index lookup through the same stack, to read the others against.
        "GET /records/{id} (floor)": [(g, f"/records/{r}", {}) for g, r in mixed],
        "chains role=Referral max_depth=6": [
            (g, f"/records/{r}/chains", {"role": "Referral", "max_depth": 6}) for g, r in mixed
        ],
        "reach role=Referral max_depth=6": [
            (g, f"/records/{r}/reach", {"role": "Referral", "max_depth": 6}) for g, r in mixed
        ],
        "network depth=2 (all roles, cap 300)": [
            (g, f"/records/{r}/network", {"depth": 2}) for g, r in mixed
        ],
        "shortest all roles max_depth=6": [
            (f"{ga}->{gb}", "/paths/shortest", {"from": a, "to": b, "max_depth": 6})
            for (ga, a), (gb, b) in pairs
        ],
        "reach all roles max_depth=3, big-account employees": [
            ("employee", f"/records/{e}/reach", {"max_depth": 3}) for e in employees
        ],
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def serve() -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "graphsvc.api.app:create_app", "--factory",
         "--port", str(port), "--log-level", "warning"],
        env=os.environ | {"GRAPHSVC_API_KEYS": ""},
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{url}/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        else:
            raise SystemExit("the API did not become ready")
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def measure(url: str, all_cases: dict[str, list[Case]], repeat: int) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with httpx.Client(base_url=url, timeout=60) as client:
        for name, items in all_cases.items():
            for _, path, params in items:  # warm-up
                client.get(path, params=params)
            times: dict[str, list[float]] = {}
            statuses: dict[int, int] = {}
            sizes: list[int] = []
            for _ in range(repeat):
                for group, path, params in items:
                    t = time.perf_counter()
                    response = client.get(path, params=params)
                    elapsed = (time.perf_counter() - t) * 1000
                    times.setdefault(group, []).append(elapsed)
                    times.setdefault("all", []).append(elapsed)
                    statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                    sizes.append(_size(response))
            results[name] = {
                group: {
                    "n": len(v),
                    "p50_ms": round(percentile(v, 50), 1),
                    "p95_ms": round(percentile(v, 95), 1),
                }
                for group, v in times.items()
            } | {"statuses": statuses, "median_size": sorted(sizes)[len(sizes) // 2]}
            print(f"{name}: {results[name]}", flush=True)
    return results


def _size(response: httpx.Response) -> int:
    """What came back: records reached, chains, nodes or path length."""
    if response.status_code != 200:
        return 0
    body = response.json()
    if "paths" in body:
        return int(body["paths"][0]["depth"])
    for key in ("chains", "nodes"):
        if key in body:
            return len(body[key])
    return int(body.get("total", 1))


def table(results: dict[str, Any]) -> str:
    lines = [
        "| endpoint | p50 ms (all) | p95 ms (all) | p50 by group | answers (status: n) | median size |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        groups = ", ".join(
            f"{g} {v['p50_ms']}"
            for g, v in r.items()
            if g not in ("all", "statuses", "median_size")
        )
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(r["statuses"].items()))
        lines.append(
            f"| {name} | {r['all']['p50_ms']} | {r['all']['p95_ms']} | {groups} | {statuses} "
            f"| {r['median_size']} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("data", type=Path, help="the bench.generate directory that was loaded")
    parser.add_argument("--repeat", type=int, default=3, help="timed passes over the starts")
    parser.add_argument("--url", help="an API that is already running (default: start one)")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)
    all_cases = cases(args.data)
    if args.url:
        results = measure(args.url, all_cases, args.repeat)
    else:
        for url in serve():
            results = measure(url, all_cases, args.repeat)
    print(table(results))
    if args.json:
        args.json.write_text(
            json.dumps({"data": str(args.data), "machine": machine(), "results": results}, indent=1)
        )


if __name__ == "__main__":
    main()
