"""`graphsvc export roles|records|connections FILE`: the graph out again, in the loader's formats.

CSV and JSON Lines exactly as `graphsvc load` reads them, rows in id order, so exporting, loading
into an empty database and exporting again gives the same bytes. Rows stream from Neo4j (the
driver fetches them in batches) straight to the file: memory stays flat whatever the size. The
file is written under a temporary name and renamed when complete.

What a write deletes while the export runs is left out (a row read after the delete committed
holds nulls, `graphsvc.graph.reads.gone`): the file never holds a row that cannot be loaded.

CSV cells are text: a record attribute that is a number or a boolean comes back as text when the
CSV is loaded, and a list as its JSON text; JSON Lines keeps every type the API writes. An
attribute written in the Browser with a type the API has none for is exported as the API reads it
(`graphsvc.models.stored_value`): a date, time or duration as ISO text (it loads back as text), a
point as {srid, coordinates} (a load rejects it into the rejects file, naming the attribute).
"""

import csv
import json
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import IO, Any, Literal

from neo4j import READ_ACCESS, AsyncDriver

from graphsvc import cypher, readers
from graphsvc.graph.reads import gone
from graphsvc.models import stored_value

Kind = Literal["roles", "records", "connections"]
Format = Literal["csv", "jsonl"]
ROLE_COLUMNS = [
    "id",
    "name",
    "category",
    "description",
    "record_types",
    "reciprocal_role_id",
    "acyclic",
]
CONNECTION_COLUMNS = [
    "id",
    "record1_id",
    "record2_id",
    "record1_role_id",
    "record2_role_id",
    "state",
    "description",
    "effective_start",
    "effective_end",
]
RECORD_BASE = ("id", "type", "name")


def detect_format(path: Path) -> Format:
    """The loader's format for the suffix (graphsvc/readers.py); export writes no Dataverse JSON."""
    try:
        fmt = readers.detect_format(path)
    except ValueError:
        fmt = "dataverse"
    if fmt == "dataverse":
        raise ValueError(f"cannot tell the format of {path.name}; pass --format csv|jsonl")
    return fmt


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _json(obj: dict[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n"


async def _stream(driver: AsyncDriver, database: str, name: str) -> AsyncIterator[dict[str, Any]]:
    async with driver.session(database=database, default_access_mode=READ_ACCESS) as session:
        result = await session.run(cypher.load(name))
        async for record in result:
            yield dict(record)


class _Writer:
    def __init__(self, file: IO[str], fmt: Format, columns: list[str]) -> None:
        self.file = file
        self.fmt = fmt
        self.csv = csv.writer(file, lineterminator="\n") if fmt == "csv" else None
        if self.csv:
            self.csv.writerow(columns)
        self.columns = columns

    def row(self, obj: dict[str, Any], cells: list[Any]) -> None:
        if self.csv:
            self.csv.writerow([_cell(v) for v in cells])
        else:
            self.file.write(_json(obj))


async def _rows(
    driver: AsyncDriver, database: str, kind: Kind, file: IO[str], fmt: Format
) -> AsyncIterator[None]:
    if kind == "roles":
        writer = _Writer(file, fmt, ROLE_COLUMNS)
        async for role in _stream(driver, database, "export_roles"):
            if role["id"] is None:
                continue
            cells = [role[c] for c in ROLE_COLUMNS]
            cells[4] = ";".join(role["record_types"])
            writer.row({c: role[c] for c in ROLE_COLUMNS}, cells)
            yield None
    elif kind == "connections":
        writer = _Writer(file, fmt, CONNECTION_COLUMNS)
        async for conn in _stream(driver, database, "export_connections"):
            if conn["id"] is None or conn["state"] is None:
                continue
            writer.row(conn, [conn[c] for c in CONNECTION_COLUMNS])
            yield None
    else:
        keys: list[str] = []
        if fmt == "csv":
            keys = [r["key"] async for r in _stream(driver, database, "export_record_keys")]
        writer = _Writer(file, fmt, [*RECORD_BASE, *keys])
        async for row in _stream(driver, database, "export_records"):
            props = row["record"]
            if gone(props):
                continue
            attributes = {
                k: stored_value(props[k])
                for k in sorted(props)
                if k not in RECORD_BASE and props[k] is not None
            }
            obj = {"id": props["id"], "type": props["type"], "name": props["name"]}
            obj["attributes"] = attributes
            writer.row(
                obj, [props["id"], props["type"], props["name"], *(attributes.get(k) for k in keys)]
            )
            yield None


async def export(
    driver: AsyncDriver,
    database: str,
    kind: Kind,
    path: Path,
    fmt: Format,
    on_progress: Callable[[int], None] | None = None,
) -> int:
    """Write every `kind` to `path`; returns the number of rows."""
    partial = path.with_name(f".{path.name}.partial")
    count = 0
    try:
        with partial.open("w", encoding="utf-8", newline="") as file:
            async for _ in _rows(driver, database, kind, file, fmt):
                count += 1
                if on_progress and count % 10_000 == 0:
                    on_progress(count)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return count


def rate_line(kind: str, rows: int, elapsed: float, path: Path) -> str:
    rate = rows / elapsed if elapsed else 0.0
    return f"{kind}: {rows} rows in {elapsed:.1f} s ({rate:,.0f} rows/s) -> {path}"
