"""`graphsvc neo4j import` end to end, against neo4j-admin's own time in the same run.

    GRAPHSVC_NEO4J_HOME=... GRAPHSVC_NEO4J_BOLT_PORT=... NEO4J_PASSWORD=... \\
        python -m bench.offline_import bench/data/1m

REPLACES the database of the local instance that the environment names (`--overwrite`): it
stops that instance if it runs, then runs `graphsvc neo4j import --overwrite` as a user does
(process start, validation, conversion, neo4j-admin, server start, schema, roles), samples the
resident memory of the Python part (the graphsvc process and its forked helper) and, separately,
of the neo4j-admin JVMs every 0.2 s, then checks the answer (`bench.load.verify`: the manifest's
counts and a sample of connections read back) and writes a raw report into
bench/results/import-<data dir>-<UTC time>.json, with the phases' start times as the import
printed them. The goal (issue 13): end to end <= 2x the neo4j-admin phase, peak RSS of the
Python part < 500 MB. Timings on a shared machine are noisy: the ratio is of the same run.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bench.common import RESULTS_DIR, driver, other_processes, provenance, rss_mb
from bench.load import verify
from graphsvc.config import get_settings
from graphsvc.neo4j_local import LocalNeo4j

STAMP = re.compile(r"\[\s*([\d.]+) s, cpu\s*([\d.]+) s\] (.+?)\.\.\.")
SUMMARY = re.compile(
    r"in ([\d.]+) s: convert ([\d.]+) s, neo4j-admin ([\d.]+) s, start \+ schema \+ roles ([\d.]+) s"
)


def _children(pid: int) -> list[int]:
    """Every descendant (neo4j-admin's launcher JVM starts the importing JVM as its child)."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    direct = [int(p) for p in text.split()]
    return direct + [d for c in direct for d in _children(c)]


def _is_python(pid: int) -> bool:
    """The import's forked helper, as opposed to the neo4j-admin JVMs (a fork keeps its
    parent's name, `graphsvc`, so: anything that is not a JVM)."""
    try:
        return "java" not in Path(f"/proc/{pid}/comm").read_text()
    except OSError:
        return False


def run(data: Path) -> dict[str, Any]:
    cmd = [
        str(Path(sys.executable).with_name("graphsvc")),
        "neo4j",
        "import",
        "--overwrite",
        "--roles",
        str(data / "roles.jsonl"),
        "--records",
        str(data / "records.csv"),
        "--connections",
        str(data / "connections.csv"),
    ]
    peak = {"graphsvc": 0.0, "python": 0.0, "children": 0.0}
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.2):
            main = rss_mb(proc.pid)
            kids = _children(proc.pid)
            helpers = sum(rss_mb(c) for c in kids if _is_python(c))
            peak["graphsvc"] = max(peak["graphsvc"], main)
            peak["python"] = max(peak["python"], main + helpers)
            peak["children"] = max(
                peak["children"], sum(rss_mb(c) for c in kids if not _is_python(c))
            )

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    match = SUMMARY.search(out)
    if proc.returncode != 0 or not match:
        sys.exit(f"graphsvc neo4j import failed ({proc.returncode}):\n{out}\n{err}")
    total, convert, admin, finish = map(float, match.groups())
    stamps = {m[3]: (float(m[1]), float(m[2])) for m in STAMP.finditer(err)}  # phase: wall, cpu
    return {
        "command": " ".join(cmd),
        "output": out.strip(),
        "progress_lines": len(err.splitlines()),
        "progress": err.splitlines(),  # each phase's start, seconds from the import's own start
        "wall_s": round(wall, 1),
        "reported_total_s": total,
        "convert_s": convert,
        "neo4j_admin_s": admin,
        "finish_s": finish,
        "end_to_end_over_admin": round(wall / admin, 2) if admin else None,
        "python_over_admin": round(convert / admin, 2) if admin else None,
        # CPU seconds (steadier than wall time on a shared machine): the Python part (main +
        # helper) before neo4j-admin, then neo4j-admin's JVMs, from the import's own stamps
        "cpu_python_s": stamps.get("neo4j-admin", (0, None))[1],
        "cpu_neo4j_admin_s": round(stamps["start"][1] - stamps["neo4j-admin"][1], 1)
        if {"start", "neo4j-admin"} <= stamps.keys()
        else None,
        "start_s": round(stamps["indexes"][0] - stamps["start"][0], 1)
        if {"start", "indexes"} <= stamps.keys()
        else None,
        "indexes_s": round(stamps["roles"][0] - stamps["indexes"][0], 1)
        if {"indexes", "roles"} <= stamps.keys()
        else None,
        "peak_rss_mb_graphsvc": round(peak["python"]),
        "peak_rss_mb_graphsvc_main": round(peak["graphsvc"]),
        "peak_rss_mb_children": round(peak["children"]),
        "rss_note": "peak_rss_mb_graphsvc (the goal's figure): the Python part, the graphsvc "
        "process plus its forked helper, summed per sample (pages they share count twice, so "
        "it overstates); _main: the graphsvc process alone; peak_rss_mb_children: the other "
        "descendants together (the neo4j-admin JVMs; the server it starts runs detached); "
        "sampled every 0.2 s from /proc",
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("data", type=Path, help="a directory written by bench.generate")
    parser.add_argument("--json", type=Path, help="default bench/results/import-<dir>-<time>.json")
    args = parser.parse_args(argv)
    stamp = time.strftime("%Y%m%dT%H%M", time.gmtime())
    report: dict[str, Any] = {
        "kind": "import",
        "started_utc": stamp,
        **provenance(),
        "data": str(args.data),
    }
    LocalNeo4j(get_settings()).stop()  # the import needs it stopped; it starts it again
    report |= run(args.data)
    with driver() as drv:
        report["problems"] = verify(drv, args.data)
    report["load_after"] = [round(x, 1) for x in os.getloadavg()]
    report["uptime_after"] = subprocess.run(
        ["uptime"], capture_output=True, text=True
    ).stdout.strip()
    report["other_processes_after"] = other_processes()
    path = args.json or RESULTS_DIR / f"import-{args.data.name}-{stamp}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps({k: v for k, v in report.items() if k != "output"}, indent=1))
    print(f"raw report: {path}", file=sys.stderr)
    if report["problems"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
