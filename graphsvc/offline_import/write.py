"""neo4j-admin's CSV files from the validated rows: one line per row, written as it comes.

Strings are always quoted (so "" is an empty string, not null); ids, role ids and states match
`identifiers.ID_PATTERN` or a literal, so they need no escaping, only names, descriptions and
attribute values do. A record file read from CSV knows its attribute columns from its header
and is written straight through; JSON Lines and Dataverse records may bring a new attribute on
any row, so they are staged first (one JSON line per record) and written once the columns and
their types are known.
"""

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from graphsvc.offline_import.connections import ValidConnection
from graphsvc.offline_import.summary import OfflineImportError
from graphsvc.offline_import.validate import ValidRecord

BUFFER = 1 << 20
# `state` first: neo4j-admin lays an edge's properties out in column order, and every traversal
# reads the `state` of each edge it follows, stopping at the first property record that holds it
# (where the API's writes leave it too). After the other columns it sat in the third record.
EDGE_COLUMNS = [
    ":START_ID(Record)",
    ":END_ID(Record)",
    ":TYPE",
    "state",
    "connection_id",
    "side:long",
    "record1_id",
    "record2_id",
    "record1_role_id",
    "record2_role_id",
    "description",
    "effective_start:date",
    "effective_end:date",
    "created_at:datetime",
    "updated_at:datetime",
]
KEY_COLUMNS = ["id:ID(ConnectionKey)", ":LABEL", "record1_id", "record2_id", "active_key"]


def cell(value: Any) -> str:
    """A neo4j-admin CSV cell for any value a record attribute may hold."""
    if value.__class__ is str:
        return '"' + value.replace('"', '""') + '"'
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return cell(";".join(cell(v) if isinstance(v, bool) else str(v) for v in value))
    return '"' + str(value.isoformat()).replace('"', '""') + '"'  # a date


def _text(value: str) -> str:
    return '"' + (value.replace('"', '""') if '"' in value else value) + '"'


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return (_kind(value[0]) if value else "string") + "[]"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "long"
    if isinstance(value, float):
        return "double"
    return "string"


def _breaks(value: str) -> bool:
    return "\n" in value or "\r" in value


def _record_header(attributes: list[str], kinds: dict[str, str]) -> str:
    cells = ["id:ID(Record)", ":LABEL", "type", "name"]
    cells += [f"{k}:{kinds[k]}" if kinds.get(k, "string") != "string" else k for k in attributes]
    return ",".join([*cells, "created_at:datetime", "updated_at:datetime"]) + "\n"


def records(rows: Iterable[ValidRecord], columns: list[str] | None, out: Path, now: str) -> bool:
    """`out` as neo4j-admin's records file; True when a value spans lines. `columns`: the CSV
    input's attribute columns (its values are all strings), None to stage and find them."""
    multiline = False
    if columns is None:
        columns, kinds, rows = _stage(rows, out.with_suffix(".staged.jsonl"))
    else:
        kinds = {}
    tail = f",{now},{now}\n"
    with out.open("w", encoding="utf-8", buffering=BUFFER) as f:
        f.write(_record_header(columns, kinds))
        for record_id, label, record_type, name, attributes in rows:
            values = [cell(attributes.get(k)) for k in columns]
            multiline = multiline or _breaks(name) or any(map(_breaks, values))
            f.write(f'"{record_id}",Record;{label},"{record_type}",{_text(name)},')
            f.write(",".join(values) + tail if values else tail[1:])
    out.with_suffix(".staged.jsonl").unlink(missing_ok=True)
    return multiline


def _stage(
    rows: Iterable[ValidRecord], staged: Path
) -> tuple[list[str], dict[str, str], Iterator[ValidRecord]]:
    """Every row into `staged`; the attribute columns and the one type each column holds."""
    kinds: dict[str, str] = {}
    with staged.open("w", encoding="utf-8", buffering=BUFFER) as f:
        for row in rows:
            for key, value in row[4].items():
                kind = _kind(value)
                if kinds.setdefault(key, kind) != kind:
                    raise OfflineImportError(
                        f"attribute '{key}' holds {kinds[key]} and {kind} values (record "
                        f"'{row[0]}'); neo4j-admin needs one type per column: use "
                        "`graphsvc load records` instead"
                    )
                if isinstance(value, list) and any(";" in str(v) for v in value):
                    raise OfflineImportError(
                        f"attribute '{key}' of record '{row[0]}' is a list with a ';' in a "
                        "value, the import's array delimiter: use `graphsvc load`"
                    )
            f.write(json.dumps(row) + "\n")

    def read() -> Iterator[ValidRecord]:
        with staged.open(encoding="utf-8") as f:
            for text in f:
                record_id, label, record_type, name, attributes = json.loads(text)
                yield record_id, label, record_type, name, attributes

    return list(kinds), kinds, read()


def connections(rows: Iterable[ValidConnection], edges: Path, keys: Path, now: str) -> bool:
    """Two edges and a ConnectionKey node per connection; True when a description spans lines."""
    multiline = False
    with (
        edges.open("w", encoding="utf-8", buffering=BUFFER) as e,
        keys.open("w", encoding="utf-8", buffering=BUFFER) as k,
    ):
        e.write(",".join(EDGE_COLUMNS) + "\n")
        k.write(",".join(KEY_COLUMNS) + "\n")
        for cid, a, b, type1, type2, role1, role2, state, text, start, end, key in rows:
            if text and not multiline:
                multiline = _breaks(text)
            values = (
                f'"{a}","{b}",{_role(role1)},{_role(role2)},{_text(text)},'
                f"{start.isoformat() if start else ''},{end.isoformat() if end else ''},"
                f"{now},{now}\n"
            )
            e.write(
                f'"{a}","{b}",{type2},"{state}","{cid}",1,{values}'
                f'"{b}","{a}",{type1},"{state}","{cid}",2,{values}'
            )
            k.write(f'"{cid}",ConnectionKey,"{a}","{b}",{_role(key)}\n')
    return multiline


def _role(value: str | None) -> str:
    return "" if value is None else f'"{value}"'
