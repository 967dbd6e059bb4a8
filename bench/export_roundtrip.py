"""Export -> load into an empty database -> export: byte-identical files, peak RSS, speed.

    python -m bench.export_roundtrip bench/data/100k [--formats csv,jsonl] [--json out.json]

WIPES the Neo4j in the environment (NEO4J_URI, NEO4J_PASSWORD). Steps: load the generator's
files with `graphsvc load` (the source graph); then per format: `graphsvc export` of roles,
records and connections, wipe, `graphsvc load` of those exports, `graphsvc export` again, and
compare the two exports byte for byte. Every command runs as a user runs it (its own process);
its wall time and peak RSS (from wait4) are reported with the load average seen.
"""

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from neo4j import Driver

from bench.bulk_baseline import apply_schema
from bench.common import driver as make_driver
from bench.common import machine

KINDS = ("roles", "records", "connections")
SOURCE = {"roles": "roles.jsonl", "records": "records.csv", "connections": "connections.csv"}


def run(args: list[str]) -> dict[str, Any]:
    """One graphsvc command: wall seconds, peak RSS in MB, its summary line."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "graphsvc", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"error: graphsvc {' '.join(args)} exited {proc.returncode}:\n{output}")
    return {
        "command": "graphsvc " + " ".join(args[:2]),
        "seconds": round(seconds, 1),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),  # Linux: kilobytes
        "summary": output.strip().splitlines()[-1] if output.strip() else "",
    }


def wipe(drv: Driver) -> None:
    """Empty the database in small transactions, without a client timeout (a shared, loaded
    machine can take minutes)."""
    with drv.session() as session:
        session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 1000 ROWS").consume()


def digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--formats", default="csv,jsonl")
    parser.add_argument(
        "--out", type=Path, default=None, help="export folder (default DATA/export)"
    )
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument(
        "--from-first",
        action="store_true",
        help="reuse OUT/first-<fmt> from an earlier run: skip the source load and first export",
    )
    args = parser.parse_args(argv)
    out = args.out or args.data / "export"
    out.mkdir(parents=True, exist_ok=True)
    drv = make_driver()
    steps: list[dict[str, Any]] = []
    report: dict[str, Any] = {"machine": machine(), "load_before": os.getloadavg(), "formats": {}}

    def step(*command: str) -> None:
        result = run(list(command))
        steps.append(result)
        print(
            f"{result['command']:<30} {result['seconds']:>7.1f} s  {result['peak_rss_mb']:>6.1f} MB  {result['summary']}",
            flush=True,
        )

    if not args.from_first:
        wipe(drv)
        apply_schema()
        for kind in KINDS:
            step("load", kind, str(args.data / SOURCE[kind]))
    for fmt in args.formats.split(","):
        first, second = out / f"first-{fmt}", out / f"second-{fmt}"
        first.mkdir(exist_ok=True)
        second.mkdir(exist_ok=True)
        if not args.from_first:
            for kind in KINDS:
                step("export", kind, str(first / f"{kind}.{fmt}"))
        wipe(drv)
        apply_schema()
        for kind in KINDS:
            step("load", kind, str(first / f"{kind}.{fmt}"))
        for kind in KINDS:
            step("export", kind, str(second / f"{kind}.{fmt}"))
        same = {
            kind: digest(first / f"{kind}.{fmt}") == digest(second / f"{kind}.{fmt}")
            for kind in KINDS
        }
        sizes = {kind: (first / f"{kind}.{fmt}").stat().st_size for kind in KINDS}
        report["formats"][fmt] = {"byte_identical": same, "bytes": sizes}
        print(f"{fmt}: byte-identical {same}, sizes {sizes}", flush=True)
    drv.close()
    report["steps"] = steps
    report["peak_rss_mb"] = max(s["peak_rss_mb"] for s in steps)
    report["load_after"] = os.getloadavg()
    print(
        f"peak RSS of any command: {report['peak_rss_mb']} MB; load average before "
        f"{report['load_before']}, after {report['load_after']}"
    )
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    if not all(all(f["byte_identical"].values()) for f in report["formats"].values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
