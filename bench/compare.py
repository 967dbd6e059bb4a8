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
- `repo`: the repository call the API route makes (chains, network and shortest paths: the JSON
  it sends, read for the check after the clock stops),
- `api`: `GET` on `graphsvc serve` (1 worker) over one keep-alive connection (`http.client`);

then the API's throughput with `wrk` (8 connections) for 1 and 2 uvicorn workers, and the
workers' peak RSS. Every layer times the same start records after a warm-up (the check): the
numbers are warm (page cache and buffer pool hot, plans cached).
"""

import argparse
import asyncio
import json
import os
import shutil
import signal
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import psycopg

from bench import postgres
from bench.common import (
    RESULTS_DIR,
    machine,
    other_processes,
    provenance,
    query,
    read_jsonl,
)
from bench.compare_api import Api, ApiClient, run_wrk
from bench.compare_layers import Neo, Pg, Repo, neo4j_layers, time_layers
from bench.compare_ops import Op, Run, operations, resolve, result_size, same, shown
from graphsvc.config import get_settings
from graphsvc.graph.db import create_async_driver

JVM_WARM_QUERIES = 5000


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
    # A freshly started Neo4j answers `RETURN 1` in ~4 ms until its JVM has compiled the Bolt
    # path (~0.9 ms after a few thousand queries): runs on a just-restarted server measured a
    # 3-5x higher floor than one that had been working. Warm that path before anything is timed.
    started = time.perf_counter()
    for _ in range(JVM_WARM_QUERIES):
        await driver.execute_query("RETURN 1", database_=settings.neo4j_database)
    report["warm_up"]["jvm_queries"] = JVM_WARM_QUERIES
    report["warm_up"]["jvm_seconds"] = round(time.perf_counter() - started, 1)
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
                    got = resolve(op, got)
                    if not same(op, expected, got, full):
                        entry["mismatches"].append(
                            {
                                "layer": layer,
                                "case": case,
                                ref_name: shown(expected),
                                layer: shown(got),
                            }
                        )
                checked.append(case)
                sizes.append(result_size(expected))
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
