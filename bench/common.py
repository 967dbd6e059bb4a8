"""Helpers shared by the benchmark scripts: the driver, bench Cypher, data files, percentiles,
the machine."""

import json
import os
import platform
import statistics
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any, LiteralString

from neo4j import Driver

from graphsvc.config import Settings, get_settings
from graphsvc.graph.db import create_driver

DATA_DIR = Path(__file__).resolve().parent / "data"
# The benchmarks' own Cypher (bulk baseline, wipe, counts): not the service's, so not in cypher/.
CYPHER_DIR = Path(__file__).resolve().parent / "cypher"
# Raw reports of the runs behind bench/RESULTS.md (committed; bench/results_md.py reads them).
RESULTS_DIR = Path(__file__).resolve().parent / "results"


def driver(settings: Settings | None = None) -> Driver:
    """A sync driver for the Neo4j that the environment names (NEO4J_URI, NEO4J_PASSWORD, ...)."""
    return create_driver(settings or get_settings())


def query(name: str) -> LiteralString:
    """The query in `bench/cypher/<name>.cypher` (part of the code base, so trusted as a query)."""
    text: LiteralString = (CYPHER_DIR / f"{name}.cypher").read_text(encoding="utf-8")  # type: ignore[assignment,unused-ignore]
    return text


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def starts(data: Path) -> dict[str, list[str]]:
    """The start records the generator picked (`starts.json`): referral roots, big-account
    employees, random records."""
    result: dict[str, list[str]] = json.loads((data / "starts.json").read_text())
    return result


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0..100), linear between closest ranks."""
    if not values:
        return float("nan")
    if len(values) == 1:
        return float(values[0])
    return statistics.quantiles(values, n=100, method="inclusive")[max(0, min(98, round(p) - 1))]


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    except OSError:
        mem_kb = 0
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kb / 2**20, 1),
        "python": platform.python_version(),
    }


def provenance() -> dict[str, Any]:
    """What produced a report: the commit (and whether the tree had changes), the machine, the
    load average and what else was running (a quiet machine: one JVM, one PostgreSQL)."""
    root = Path(__file__).resolve().parent.parent

    def git(*args: str) -> str:
        out = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
        return out.stdout.strip()

    return {
        "commit": git("rev-parse", "HEAD"),
        "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
        "machine": machine(),
        "load_before": [round(x, 2) for x in os.getloadavg()],
        "other_processes_before": other_processes(),
    }


def rss_mb(pid: int) -> float:
    """A process's resident memory in MB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def other_processes() -> dict[str, int]:
    """How many JVMs (Neo4j instances, neo4j-admin) and PostgreSQL servers run on the machine:
    one Neo4j and one PostgreSQL (this bench's) on a quiet machine."""
    counts = {"java": 0, "postgres": 0}
    for stat in Path("/proc").glob("[0-9]*/comm"):
        try:
            name = stat.read_text().strip()
        except OSError:
            continue
        if name == "java":
            counts["java"] += 1
        elif name == "postgres" and " -D " in _cmdline(stat.parent):
            counts["postgres"] += 1
    return counts


def _cmdline(proc: Path) -> str:
    try:
        return (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""
