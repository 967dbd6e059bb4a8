"""Loading files into the graph: batches through the batch writer, the rejects file (failed
rows in the input's format, to fix and load again), progress callbacks; no UI. The files are read
by graphsvc/readers.py (its names are re-exported here for the loader's callers)."""

import asyncio
import csv
import json
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from graphsvc.graph.batch import BatchWriter, Prepared, prepare_connections
from graphsvc.graph.batch import prepare_records as prepare_record_rows
from graphsvc.graph.roles import RoleIndex
from graphsvc.models import BatchFailure, BatchResult
from graphsvc.readers import ERROR_KEY as ERROR_KEY
from graphsvc.readers import Format as Format
from graphsvc.readers import Kind as Kind
from graphsvc.readers import Row as Row
from graphsvc.readers import chunks as chunks
from graphsvc.readers import count_rows as count_rows
from graphsvc.readers import detect_format as detect_format
from graphsvc.readers import read_rows as read_rows


# -- rejects ------------------------------------------------------------------------------------
def rejects_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.rejects{path.suffix}")


class RejectsWriter:
    """Failed rows in the input's format, each with its reason under `_error`; opened lazily."""

    def __init__(self, path: Path, fmt: Format) -> None:
        self.path = path
        self.fmt = fmt
        self.count = 0
        self._file: IO[str] | None = None
        self._csv: csv.DictWriter[str] | None = None
        self._dataverse: list[dict[str, Any]] = []
        path.unlink(missing_ok=True)  # a stale file from an earlier run would mislead

    def write(self, row: Row, error: str) -> None:
        self.count += 1
        if self.fmt == "dataverse":
            self._dataverse += [dict(item) | {ERROR_KEY: error} for item in row.source]
            return
        if self._file is None:
            self._file = self.path.open("w", encoding="utf-8", newline="")
        if self.fmt == "csv":
            if self._csv is None:
                names = [k for k in row.source if k != ERROR_KEY] + [ERROR_KEY]
                self._csv = csv.DictWriter(self._file, fieldnames=names, extrasaction="ignore")
                self._csv.writeheader()
            self._csv.writerow(dict(row.source) | {ERROR_KEY: error})
        elif isinstance(row.source, dict):
            self._file.write(json.dumps(row.source | {ERROR_KEY: error}) + "\n")
        else:
            self._file.write(json.dumps({"_line": row.source, ERROR_KEY: error}) + "\n")
        self._file.flush()

    def close(self) -> None:
        if self._dataverse:
            self.path.write_text(json.dumps({"value": self._dataverse}, indent=1), "utf-8")
        if self._file:
            self._file.close()


# -- the load -----------------------------------------------------------------------------------
@dataclass
class Summary:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    elapsed: float = 0.0
    failures: list[tuple[int, str | None, str]] = field(default_factory=list)  # the first few

    @property
    def rate(self) -> float:
        return self.rows / self.elapsed if self.elapsed else 0.0

    def add(self, result: BatchResult, rows: int) -> None:
        self.rows += rows
        self.created += result.created
        self.updated += result.updated
        self.unchanged += result.unchanged
        self.failed += len(result.failed)
        room = 20 - len(self.failures)
        self.failures += [(f.index, f.id, f.error) for f in result.failed[: max(room, 0)]]


def prepare_chunk(kind: Kind, chunk: list[Row], roles: RoleIndex | None) -> Prepared:
    items: list[tuple[int, Any]] = []
    invalid: list[BatchFailure] = []
    for row in chunk:
        if isinstance(row.data, dict) and "_invalid" in row.data:
            invalid.append(BatchFailure(index=row.number, id=None, error=row.data["_invalid"]))
        else:
            items.append((row.number, row.data))
    if kind == "records":
        prepared = prepare_record_rows(items)
    else:
        assert roles is not None
        prepared = prepare_connections(items, roles)
    prepared.failed += invalid
    return prepared


# While Neo4j writes one batch, a worker thread reads and validates the next. Each round trip of
# the write (read, create, commit) then waits for the worker to hand the event loop the GIL: up
# to the interpreter's switch interval, 5 ms by default, three times in a 45 ms batch. A 0.2 ms
# interval during the load took a 100k-record load from 2.74 s to 2.5 s (bench/README.md).
SWITCH_INTERVAL = 0.0002


@contextmanager
def _short_thread_switches() -> Iterator[None]:
    before = sys.getswitchinterval()
    sys.setswitchinterval(min(before, SWITCH_INTERVAL))
    try:
        yield
    finally:
        sys.setswitchinterval(before)


async def load(
    writer: BatchWriter,
    kind: Kind,
    rows: Iterable[Row],
    rejects: RejectsWriter,
    batch_size: int = 2_000,
    on_batch: Callable[[Summary], None] | None = None,
) -> Summary:
    """Records or connections in batches; while Neo4j writes one batch, the next is parsed and
    validated (one writer: concurrent batches of connections would contend for the same locks).
    A row that fails goes to `rejects`; Neo4j errors that outlast the driver's retries propagate,
    everything committed before them stays, and a re-run resumes (every write is an upsert)."""
    summary = Summary()
    started = time.monotonic()
    roles = await writer.roles() if kind == "connections" else None
    name = "batch_records_upsert" if kind == "records" else "batch_connections_upsert"
    pending: tuple[asyncio.Task[BatchResult], list[Row]] | None = None

    async def finish(task: asyncio.Task[BatchResult], chunk: list[Row]) -> None:
        result = await task
        by_number = {row.number: row for row in chunk}
        for failure in result.failed:
            rejects.write(by_number[failure.index], failure.error)
        summary.add(result, len(chunk))
        summary.elapsed = time.monotonic() - started
        if on_batch:
            on_batch(summary)

    def next_batch(source: Iterator[list[Row]]) -> tuple[list[Row], Prepared] | None:
        chunk = next(source, None)
        return None if chunk is None else (chunk, prepare_chunk(kind, chunk, roles))

    source = chunks(rows, batch_size)
    with _short_thread_switches():
        try:
            while True:
                # parsed and validated in a thread while the event loop drives the pending write
                got = await asyncio.to_thread(next_batch, source)
                if pending:
                    await finish(*pending)
                    pending = None
                if got is None:
                    break
                chunk, prepared = got
                pending = (asyncio.create_task(writer.run(name, prepared)), chunk)
            if pending:
                await finish(*pending)
                pending = None
        finally:
            if pending:
                pending[0].cancel()
    summary.elapsed = time.monotonic() - started
    return summary


def load_roles_summary(result: BatchResult, rows: list[Row], rejects: RejectsWriter) -> Summary:
    summary = Summary()
    by_number = {row.number: row for row in rows}
    for failure in result.failed:
        rejects.write(by_number[failure.index], failure.error)
    summary.add(result, len(rows))
    return summary
