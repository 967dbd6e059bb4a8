"""How long `graphsvc check` takes on a loaded graph, and its loop search alone.

    NEO4J_URI=bolt://127.0.0.1:<port> python -m bench.check_time [--runs 3] [--json out.json]

Run it on the graph a load left (e.g. after `python -m bench.run --scales 100k --steps load`);
it only reads. Times the loop search of every acyclic role (`cypher/service/check_loops.cypher`:
with no loop it walks every path of the role's type from every record) `--runs` times, then the
whole `graphsvc check` once as a user runs it. Raw report:
`bench/results/check-<records>-<UTC time>.json`, with the load average before and after.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.common import RESULTS_DIR, machine
from bench.common import driver as make_driver
from graphsvc import cypher
from graphsvc.config import get_settings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    settings = get_settings()
    load_before = [round(x, 1) for x in os.getloadavg()]
    with make_driver(settings) as drv:
        size = drv.execute_query("MATCH (n:Record) RETURN count(n) AS n").records[0]["n"]
        keys = drv.execute_query("MATCH (k:ConnectionKey) RETURN count(k) AS n").records[0]["n"]
        loops: list[float] = []
        found = 0
        for _ in range(args.runs):
            t0 = time.perf_counter()
            found = len(drv.execute_query(cypher.load("check_loops")).records)
            loops.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "graphsvc", "check"], capture_output=True, text=True, check=False
    )
    whole = time.perf_counter() - t0
    report = {
        "machine": machine(),
        "records": size,
        "connections": keys,
        "loop_search_seconds": [round(s, 2) for s in loops],
        "loop_search_median_s": round(statistics.median(loops), 2),
        "loops_found": found,
        "check_seconds": round(whole, 2),
        "check_exit": done.returncode,
        "check_summary": done.stdout.strip().splitlines()[:3],
        "load_before": load_before,
        "load_after": [round(x, 1) for x in os.getloadavg()],
    }
    label = f"{size // 1000}k" if size < 1_000_000 else f"{size // 1_000_000}m"
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M")
    out = args.json or RESULTS_DIR / f"check-{label}-{stamp}.json"
    out.write_text(json.dumps(report, indent=1) + "\n")
    print(
        f"{size:,} records, {keys:,} connections: loop search median "
        f"{report['loop_search_median_s']} s of {report['loop_search_seconds']}, "
        f"graphsvc check {report['check_seconds']} s (exit {done.returncode}); load average "
        f"{load_before} -> {report['load_after']}; raw report {out}"
    )


if __name__ == "__main__":
    main()
