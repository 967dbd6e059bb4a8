"""Reading the files `graphsvc load` (and `graphsvc neo4j import`) take: rows with their source.

Formats (see README "Loading data"):
- CSV with a header row. records: `id,type,name` then one column per attribute (an empty cell is
  no attribute); roles: the role fields, `record_types` separated by `;`; connections:
  `id,record1_id,record2_id,record1_role_id,record2_role_id,state,description,effective_start,
  effective_end` (`record1_role` / `record2_role` give roles by name).
- JSON Lines: one object per line in the API's shape.
- Dataverse Web API JSON (`{"value": [...]}`) of `contacts`, `accounts` (or other tables),
  `connectionroles` (reciprocals from a `connectionroleassociations` file) or `connections`,
  whose twin rows are folded into one connection each. This one reader holds the file's
  `value` array in memory (folding twins needs both halves); the others stream.

Every row keeps its source (CSV cells, JSON object, Dataverse rows) so that rows that fail are
written back in the input's format, with an `_error` column/key that the readers ignore: fix the
rejects file and load it again. Rows are numbered from 1 (the header is not a row).
"""

import csv
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

Kind = Literal["roles", "records", "connections"]
Format = Literal["csv", "jsonl", "dataverse"]
ERROR_KEY = "_error"
CATEGORIES = {
    1: "business",
    2: "family",
    3: "social",
    4: "sales",
    5: "other",
    1000: "stakeholder",
    1001: "sales_team",
    1002: "service",
}
_TABLE = re.compile(r"#(\w+)")
_ATTRIBUTE = re.compile(r"^[a-z][A-Za-z0-9_]{0,63}$")


@dataclass
class Row:
    number: int
    data: dict[str, Any]
    source: Any


def detect_format(path: Path) -> Format:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".json":
        return "dataverse"
    raise ValueError(f"cannot tell the format of {path.name}; pass --format csv|jsonl|dataverse")


def count_rows(path: Path, fmt: Format) -> int | None:
    """Rows in a CSV/JSONL file (newlines, minus the header), for progress; cheap even at 1M."""
    if fmt == "dataverse":
        return None
    lines = 0
    last = b"\n"
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            lines += block.count(b"\n")
            last = block[-1:]
    lines += last != b"\n"
    return max(lines - (fmt == "csv"), 0)


# -- CSV and JSON Lines -------------------------------------------------------------------------
_RECORD_FIELDS = ("id", "type", "name")
_NOT_ATTRIBUTES = frozenset((*_RECORD_FIELDS, ERROR_KEY, "", None))  # None: DictReader's extras


def csv_row(kind: Kind, cells: dict[str, str]) -> dict[str, Any]:
    if kind == "records":  # the loader's bulk of rows: one pass over the cells
        record: dict[str, Any] = {k: v for k in _RECORD_FIELDS if (v := cells.get(k))}
        record["attributes"] = {
            k: v for k, v in cells.items() if v != "" and k not in _NOT_ATTRIBUTES
        }
        return record
    values = {k: v for k, v in cells.items() if k and k != ERROR_KEY}
    if kind == "roles":
        row: dict[str, Any] = {k: v for k, v in values.items() if v != ""}
        row["record_types"] = [t for t in values.get("record_types", "").split(";") if t]
        if "acyclic" in row:
            row["acyclic"] = row["acyclic"].strip().lower() in ("true", "1", "yes")
        return row
    return _connection({k: v for k, v in values.items() if v != ""})


def _connection(row: dict[str, Any]) -> dict[str, Any]:
    if row.get("description") is None:
        row["description"] = ""
    return {k: v for k, v in row.items() if v is not None or k.endswith("_role_id")}


def read_csv(path: Path, kind: Kind) -> Iterator[Row]:
    """Rows as `csv.DictReader` gives them (blank lines skipped, extra cells under None, missing
    ones None), without its per-row Python overhead: a third of a records load's reading."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None:
            return
        width = len(header)
        number = 0
        for values in reader:
            if not values:
                continue
            number += 1
            cells: dict[Any, Any] = dict(zip(header, values, strict=False))
            if len(values) > width:
                cells[None] = values[width:]
            elif len(values) < width:
                cells.update(dict.fromkeys(header[len(values) :]))
            yield Row(number, csv_row(kind, cells), cells)


def read_jsonl(path: Path, kind: Kind) -> Iterator[Row]:
    with path.open(encoding="utf-8") as f:
        number = 0
        for line in f:
            if not line.strip():
                continue
            number += 1
            try:
                obj = json.loads(line)
            except ValueError as exc:
                yield Row(number, {"_invalid": f"not JSON: {exc}"}, line.rstrip("\n"))
                continue
            data = (
                {k: v for k, v in obj.items() if k != ERROR_KEY} if isinstance(obj, dict) else obj
            )
            if kind == "connections" and isinstance(data, dict):
                data = _connection(data)
            yield Row(number, data, obj)


# -- Dataverse ----------------------------------------------------------------------------------
def _dataverse_value(path: Path) -> tuple[str, list[dict[str, Any]]]:
    with path.open(encoding="utf-8") as f:
        doc = json.load(f)
    if not isinstance(doc, dict) or not isinstance(doc.get("value"), list):
        raise ValueError(f"{path.name} is not a Dataverse Web API response ({{'value': [...]}})")
    match = _TABLE.search(str(doc.get("@odata.context", "")))
    return (match.group(1) if match else ""), doc["value"]


def _date(value: Any) -> Any:
    return value[:10] if isinstance(value, str) else value


def _dv_connection(item: dict[str, Any], flip: bool, id_: Any) -> dict[str, Any]:
    one, two = ("2", "1") if flip else ("1", "2")
    return _connection(
        {
            "id": id_,
            "record1_id": item.get(f"_record{one}id_value"),
            "record2_id": item.get(f"_record{two}id_value"),
            "record1_role_id": item.get(f"_record{one}roleid_value"),
            "record2_role_id": item.get(f"_record{two}roleid_value"),
            "state": "inactive" if item.get("statecode") == 1 else "active",
            "description": item.get("description"),
            "effective_start": _date(item.get("effectivestart")),
            "effective_end": _date(item.get("effectiveend")),
        }
    )


def dataverse_connections(items: list[dict[str, Any]]) -> Iterator[Row]:
    """One row per twin pair: the `ismaster` row as it is; a lone non-master row flipped."""
    twins: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        key = item.get("connectionid")
        if item.get("ismaster") is False and item.get("_relatedconnectionid_value"):
            key = item["_relatedconnectionid_value"]
        twins.setdefault(str(key), []).append(item)
    for number, item in enumerate(items, start=1):
        pair = twins.get(str(item.get("connectionid")), [])
        if item.get("ismaster") is False and item.get("_relatedconnectionid_value"):
            master_present = any(
                i.get("connectionid") == item["_relatedconnectionid_value"]
                for i in twins.get(item["_relatedconnectionid_value"], [])
            )
            if master_present:
                continue
            yield Row(
                number, _dv_connection(item, True, item["_relatedconnectionid_value"]), [item]
            )
            continue
        yield Row(number, _dv_connection(item, False, item.get("connectionid")), pair or [item])


def dataverse_roles(items: list[dict[str, Any]], associations: Path | None) -> Iterator[Row]:
    partner: dict[str, str] = {}
    if associations:
        for assoc in _dataverse_value(associations)[1]:
            a, b = assoc.get("connectionroleid"), assoc.get("associatedconnectionroleid")
            if a and b:
                partner.setdefault(a, b)
                partner.setdefault(b, a)
    for number, item in enumerate(items, start=1):
        row = {
            "id": item.get("connectionroleid"),
            "name": item.get("name"),
            "category": CATEGORIES.get(item.get("category") or 5, item.get("category")),
            "description": item.get("description") or "",
            "reciprocal_role_id": partner.get(str(item.get("connectionroleid"))),
        }
        yield Row(number, row, [item])


def dataverse_records(table: str, items: list[dict[str, Any]]) -> Iterator[Row]:
    for number, item in enumerate(items, start=1):
        name_table = table or ("contacts" if "contactid" in item else "accounts")
        record_type = name_table[:-1] if name_table.endswith("s") else name_table
        id_key = f"{record_type}id"
        name_key = next((k for k in ("fullname", "name", "subject", "title") if k in item), "")
        attributes = {
            k: v
            for k, v in item.items()
            if k not in (id_key, name_key, ERROR_KEY)
            and v is not None
            and isinstance(v, str | int | float | bool)
            and _ATTRIBUTE.match(k)
        }
        row = {
            "id": item.get(id_key),
            "type": record_type,
            "name": item.get(name_key),
            "attributes": attributes,
        }
        yield Row(number, row, [item])


def read_dataverse(path: Path, kind: Kind, associations: Path | None = None) -> Iterator[Row]:
    table, items = _dataverse_value(path)
    items = [{k: v for k, v in i.items() if k != ERROR_KEY} for i in items if isinstance(i, dict)]
    if kind == "connections":
        yield from dataverse_connections(items)
    elif kind == "roles":
        yield from dataverse_roles(items, associations)
    else:
        yield from dataverse_records(table, items)


def read_rows(
    path: Path, kind: Kind, fmt: Format, associations: Path | None = None
) -> Iterator[Row]:
    if fmt == "csv":
        return read_csv(path, kind)
    if fmt == "jsonl":
        return read_jsonl(path, kind)
    return read_dataverse(path, kind, associations)


def chunks(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    chunk: list[Row] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
