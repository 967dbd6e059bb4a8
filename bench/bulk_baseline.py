"""The bare bulk-load baseline: generated files into Neo4j as plain `UNWIND ... CREATE` batches.

    python -m bench.bulk_baseline bench/data/1m --wipe [--batch-size 2000]
    python -m bench.bulk_baseline bench/data/100k --wipe --batch-size 5000,10000,20000

No validation, no upsert, one writer, the sync driver: the floor the online loader is measured
against (issue 5), and the way the 1M graph gets into Neo4j for the traversal benchmarks. It
applies the schema, then creates the roles, the records (`Record` + type label), then per
connection its key node and both edges (README "Data model in Neo4j"). It refuses a database
that already holds records unless `--wipe` empties it first. Several batch sizes: the database is
wiped and loaded once per size. Neo4j is the one in the environment (NEO4J_URI, NEO4J_PASSWORD).
"""

import argparse
import asyncio
import csv
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from neo4j import Driver

from bench.common import driver as make_driver
from bench.common import machine, query, read_jsonl
from graphsvc.config import get_settings
from graphsvc.graph.db import apply_schema_async, create_async_driver
from graphsvc.identifiers import relationship_type, type_label
from graphsvc.neo4j_local import LocalNeo4j
from graphsvc.rules import active_key

Row = dict[str, Any]
CONNECTION_TEXT = ("description", "effective_start", "effective_end")


@dataclass
class Phase:
    """Timings of one load phase: per batch, the client's parse time and the driver call."""

    name: str
    rows: int = 0
    elapsed: float = 0.0
    parse: list[float] = field(default_factory=list)
    execute: list[float] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    server_cpu: float | None = None  # the local Neo4j's CPU seconds during the phase
    client_cpu: float = 0.0

    def summary(self, edges_per_row: int) -> dict[str, Any]:
        batch_rates = [
            n / (p + e) for n, p, e in zip(self.sizes, self.parse, self.execute, strict=True)
        ]
        rate = self.rows / self.elapsed if self.elapsed else 0.0
        median = statistics.median(batch_rates) if batch_rates else 0.0
        return {
            "phase": self.name,
            "rows": self.rows,
            "batches": len(self.sizes),
            "seconds": round(self.elapsed, 2),
            "rows_per_s": round(rate),
            "rows_per_s_median_batch": round(median),
            "edges_per_s": round(rate * edges_per_row),
            "edges_per_s_median_batch": round(median * edges_per_row),
            "client_parse_share": round(sum(self.parse) / self.elapsed, 3) if self.elapsed else 0,
            "client_cpu_s": round(self.client_cpu, 2),
            "server_cpu_s": None if self.server_cpu is None else round(self.server_cpu, 2),
            # what one dedicated core would sustain: contention-free, unlike the wall-clock rate
            "rows_per_server_cpu_s": round(self.rows / self.server_cpu)
            if self.server_cpu
            else None,
        }


def record_rows(path: Path) -> Iterator[Row]:
    """records.csv (`id,type,name,<attribute>...`) as query rows."""
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        extra = header[3:]
        labels: dict[str, str] = {}
        for values in reader:
            rtype = values[1]
            label = labels.get(rtype) or labels.setdefault(rtype, type_label(rtype))
            attributes = {k: v for k, v in zip(extra, values[3:], strict=True) if v != ""}
            yield {
                "id": values[0],
                "label": label,
                "type": rtype,
                "name": values[2],
                "attributes": attributes,
            }


def connection_rows(path: Path, types: dict[str, str]) -> Iterator[Row]:
    """connections.csv as query rows, with each side's relationship type from its role."""
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            out: Row = dict(row)
            for key in CONNECTION_TEXT:
                if out[key] == "":
                    out[key] = None
            out["type_to_record2"] = types.get(row["record2_role_id"], "CONNECTED_TO")
            out["type_to_record1"] = types.get(row["record1_role_id"], "CONNECTED_TO")
            # part of the graph every write path keeps (unique in the schema): the same graph
            out["active_key"] = active_key(
                row["record1_id"],
                row["record2_id"],
                row["record1_role_id"],
                row["record2_role_id"],
                row["state"],
            )
            yield out


def batches(rows: Iterator[Row], size: int) -> Iterator[tuple[list[Row], float]]:
    """Lists of up to `size` rows, each with the time spent reading and parsing it."""
    while True:
        started = time.perf_counter()
        batch: list[Row] = []
        for row in rows:
            batch.append(row)
            if len(batch) == size:
                break
        if not batch:
            return
        yield batch, time.perf_counter() - started


def run_phase(
    drv: Driver, name: str, query: str, rows: Iterator[Row], size: int, progress: bool
) -> Phase:
    phase = Phase(name)
    database = get_settings().neo4j_database
    server = neo4j_pid()
    server_cpu, client_cpu = cpu_seconds(server), time.process_time()
    started = time.perf_counter()
    for batch, parse in batches(rows, size):
        t0 = time.perf_counter()
        drv.execute_query(query, rows=batch, database_=database)
        phase.execute.append(time.perf_counter() - t0)
        phase.parse.append(parse)
        phase.sizes.append(len(batch))
        phase.rows += len(batch)
        if progress and len(phase.sizes) % 20 == 0:
            rate = phase.rows / (time.perf_counter() - started)
            print(f"  {name}: {phase.rows:,} rows, {rate:,.0f} rows/s", file=sys.stderr)
    phase.elapsed = time.perf_counter() - started
    phase.client_cpu = time.process_time() - client_cpu
    if server_cpu is not None and (now := cpu_seconds(server)) is not None:
        phase.server_cpu = now - server_cpu
    return phase


def neo4j_pid() -> int | None:
    """The pid of the local Neo4j (`graphsvc neo4j start`) that NEO4J_URI points at, if any."""
    settings = get_settings()
    if not settings.neo4j_uri.endswith(f"127.0.0.1:{settings.neo4j_bolt_port}"):
        return None
    return LocalNeo4j(settings).pid()


def cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU time of a process, from /proc."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wipe(drv: Driver, batch: int = 10_000) -> None:
    """Empty the database in batches of nodes (with their relationships); the schema stays."""
    with drv.session(database=get_settings().neo4j_database) as session:
        session.run(query("wipe"), batch=batch).consume()


def counts(drv: Driver) -> tuple[int, int]:
    records, _, _ = drv.execute_query(query("count"), database_=get_settings().neo4j_database)
    return int(records[0]["nodes"]), int(records[0]["relationships"])


def apply_schema() -> None:
    settings = get_settings()

    async def run() -> None:
        adrv = create_async_driver(settings)
        try:
            await apply_schema_async(adrv, settings.neo4j_database)
        finally:
            await adrv.close()

    asyncio.run(run())


def load(drv: Driver, data: Path, batch_size: int, progress: bool = True) -> dict[str, Any]:
    """Roles, records, then connections from `data` into an empty database; the timings."""
    roles = read_jsonl(data / "roles.jsonl")
    types = {role["id"]: relationship_type(role["name"]) for role in roles}
    role_rows = [role | {"relationship_type": types[role["id"]]} for role in roles]
    phases: list[tuple[Phase, int]] = []
    started = time.perf_counter()
    steps: list[tuple[str, Callable[[], Iterator[Row]], int]] = [
        ("roles", lambda: iter(role_rows), 0),
        ("records", lambda: record_rows(data / "records.csv"), 0),
        ("connections", lambda: connection_rows(data / "connections.csv", types), 2),
    ]
    for name, rows, edges_per_row in steps:
        statement = query(f"create_{name}")
        phases.append(
            (run_phase(drv, name, statement, rows(), batch_size, progress), edges_per_row)
        )
    total = time.perf_counter() - started
    return {
        "data": str(data),
        "batch_size": batch_size,
        "total_seconds": round(total, 2),
        "phases": [phase.summary(edges) for phase, edges in phases],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("data", type=Path, help="a directory written by bench.generate")
    parser.add_argument(
        "--batch-size", default="2000", help="rows per transaction; a comma list runs each size"
    )
    parser.add_argument("--wipe", action="store_true", help="empty the database first")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.batch_size.split(",") if s.strip()]
    if not sizes or min(sizes) < 1:
        parser.error("--batch-size takes positive integers")
    if len(sizes) > 1 and not args.wipe:
        parser.error("several batch sizes need --wipe (each size loads into an empty database)")

    settings = get_settings()
    results: list[dict[str, Any]] = []
    with make_driver(settings) as drv:
        for size in sizes:
            if args.wipe:
                t0 = time.perf_counter()
                wipe(drv)
                print(f"wiped in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
            apply_schema()
            nodes, _ = counts(drv)
            if nodes:
                sys.exit(f"error: the database holds {nodes:,} nodes; use --wipe to empty it first")
            load_before = [round(x, 1) for x in os.getloadavg()]
            result = load(drv, args.data, size, progress=not args.quiet)
            result["load_before"] = load_before
            result["load_after"] = [round(x, 1) for x in os.getloadavg()]
            result["nodes"], result["relationships"] = counts(drv)
            results.append(result)
            print(_table(result))
    report = {"machine": machine(), "neo4j_uri": settings.neo4j_uri, "runs": results}
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n")


def _table(result: dict[str, Any]) -> str:
    lines = [
        f"{result['data']}  batch size {result['batch_size']}  total {result['total_seconds']} s  "
        f"-> {result['nodes']:,} nodes, {result['relationships']:,} relationships",
        f"  {'phase':<12}{'rows':>10}{'s':>8}{'rows/s':>10}{'median':>10}{'edges/s':>10}"
        f"{'median':>10}{'parse':>7}{'cli cpu':>9}{'srv cpu':>9}{'rows/srv-cpu-s':>16}",
    ]
    for p in result["phases"]:
        lines.append(
            f"  {p['phase']:<12}{p['rows']:>10,}{p['seconds']:>8}{p['rows_per_s']:>10,}"
            f"{p['rows_per_s_median_batch']:>10,}{p['edges_per_s']:>10,}"
            f"{p['edges_per_s_median_batch']:>10,}{p['client_parse_share']:>7.0%}"
            f"{p['client_cpu_s']:>9}{_text(p['server_cpu_s']):>9}"
            f"{_text(p['rows_per_server_cpu_s']):>16}"
        )
    lines.append(f"  load average before/after: {result['load_before']} / {result['load_after']}")
    return "\n".join(lines)


def _text(value: object) -> str:
    return "-" if value is None else f"{value:,}"


if __name__ == "__main__":
    main()
