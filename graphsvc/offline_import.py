"""The fast path for a first load into an empty database: `neo4j-admin database import full`.

The loader's input files (roles, records, connections; CSV, JSON Lines or Dataverse) are
validated exactly as the online loader validates them (the same pydantic models and role
resolution of `graphsvc.graph.batch`), converted into neo4j-admin CSVs in a temporary directory,
and imported by Neo4j's own import tool while the server is stopped. Then the server starts, the
schema is applied and the (few) roles are written through the online loader's `upsert_roles`.

What the online loader would reject goes to the same rejects files, with the same reasons:
invalid rows, unknown roles, missing records, roles that do not apply to a record's type,
duplicates of an active connection, loops through an acyclic role. A repeated record or
connection id is an error instead (the online loader would update; the constraints are created
after the import, so the import must not produce duplicates).

Memory: rows are streamed; what is kept is one id -> type entry per record, a hash per
connection id, the id per active connection's endpoints-and-roles key, and the edges of acyclic
relationship types (for the loop check).
"""

import asyncio
import json
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from graphsvc import loader, rules
from graphsvc.config import Settings
from graphsvc.graph.batch import upsert_roles, validation_message
from graphsvc.graph.db import apply_schema_async, create_async_driver
from graphsvc.graph.handle import Graph
from graphsvc.graph.repository import Repository
from graphsvc.graph.roles import RoleIndex
from graphsvc.identifiers import relationship_type
from graphsvc.models import BatchResult, RoleCreate
from graphsvc.neo4j_local import ADMIN, LocalNeo4j

CHUNK = 5_000
EDGE_COLUMNS = [
    ":START_ID(Record)",
    ":END_ID(Record)",
    ":TYPE",
    "connection_id",
    "side:long",
    "record1_id",
    "record2_id",
    "record1_role_id",
    "record2_role_id",
    "state",
    "description",
    "effective_start:date",
    "effective_end:date",
    "created_at:datetime",
    "updated_at:datetime",
]
KEY_COLUMNS = ["id:ID(ConnectionKey)", ":LABEL", "record1_id", "record2_id", "active_key"]


class OfflineImportError(Exception):
    """Why the import cannot go ahead, in one line."""


@dataclass
class ImportSummary:
    roles: int = 0
    records: int = 0
    connections: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    rejects: list[Path] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # the first few, for the console
    convert_seconds: float = 0.0
    import_seconds: float = 0.0
    finish_seconds: float = 0.0
    admin_command: list[str] = field(default_factory=list)

    def reject(self, kind: str, writer: loader.RejectsWriter, row: loader.Row, error: str) -> None:
        writer.write(row, error)
        self.rejected[kind] = self.rejected.get(kind, 0) + 1
        if len(self.failures) < 10:
            self.failures.append(f"{kind} row {row.number}: {error}")


# -- CSV cells ----------------------------------------------------------------------------------
def cell(value: Any) -> str:
    """A neo4j-admin CSV cell: strings always quoted (so "" is an empty string, not null)."""
    if value.__class__ is str:  # the common case first: this runs ~10 times per connection
        return '"' + value.replace('"', '""') + '"'
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return cell(";".join(cell(v) if isinstance(v, bool) else str(v) for v in value))
    text = value if isinstance(value, str) else str(value.isoformat())  # a date
    return '"' + text.replace('"', '""') + '"'


def _line(cells: list[str]) -> str:
    return ",".join(cells) + "\n"


def _kind_of(value: Any) -> str:
    if isinstance(value, list):
        return (_kind_of(value[0]) if value else "string") + "[]"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "long"
    if isinstance(value, float):
        return "double"
    return "string"


def _multiline(value: Any) -> bool:
    return isinstance(value, str) and ("\n" in value or "\r" in value)


# -- roles --------------------------------------------------------------------------------------
def read_roles(
    path: Path, writer: loader.RejectsWriter, summary: ImportSummary
) -> tuple[RoleIndex, list[tuple[int, dict[str, Any]]]]:
    """The roles the online loader would create, as `roles_list` would return them afterwards."""
    fmt = loader.detect_format(path)
    roles: dict[str, dict[str, Any]] = {}
    by_type: dict[str, str] = {}
    valid: list[tuple[int, dict[str, Any]]] = []
    pending: list[tuple[str, str | None]] = []
    for row in loader.read_rows(path, "roles", fmt):
        try:
            body = RoleCreate.model_validate(row.data)
            rel_type = relationship_type(body.name)
        except ValidationError as exc:
            summary.reject("roles", writer, row, validation_message(exc))
            continue
        except ValueError as exc:
            summary.reject("roles", writer, row, f"role name '{body.name[:100]}': {exc}")
            continue
        role_id = body.id or str(uuid.uuid4())
        if by_type.get(rel_type, role_id) != role_id:
            summary.reject(
                "roles",
                writer,
                row,
                f"role '{roles[by_type[rel_type]]['name']}' ({by_type[rel_type]}) already has "
                f"relationship type {rel_type}; role names must differ in more than case "
                "and punctuation",
            )
            continue
        by_type[rel_type] = role_id
        roles[role_id] = body.model_dump() | {
            "id": role_id,
            "relationship_type": rel_type,
            "reciprocal_role_id": None,
        }
        valid.append((row.number, dict(row.data) | {"id": role_id}))
        pending.append((role_id, body.reciprocal_role_id))
    # Reciprocity as `role_set_reciprocal` sets it: symmetric, former partners released.
    for role_id, partner in pending:
        if partner and partner != role_id and partner not in roles:
            continue  # upsert_roles reports it
        for other in roles.values():
            if other["reciprocal_role_id"] in (role_id, partner):
                other["reciprocal_role_id"] = None
        roles[role_id]["reciprocal_role_id"] = partner
        if partner:
            roles[partner]["reciprocal_role_id"] = role_id
    summary.roles = len(roles)
    return RoleIndex(roles.values()), valid


# -- records ------------------------------------------------------------------------------------
@dataclass
class RecordIndex:
    """Each imported record's type, by id (the connections' endpoint and role checks)."""

    ids: dict[str, int] = field(default_factory=dict)
    types: list[str] = field(default_factory=list)
    type_numbers: dict[str, int] = field(default_factory=dict)

    def add(self, record_id: str, record_type: str) -> None:
        number = self.type_numbers.setdefault(record_type, len(self.types))
        if number == len(self.types):
            self.types.append(record_type)
        self.ids[record_id] = number

    def type_of(self, record_id: str) -> str | None:
        number = self.ids.get(record_id)
        return None if number is None else self.types[number]


def convert_records(
    path: Path, out: Path, now: str, summary: ImportSummary
) -> tuple[RecordIndex, bool]:
    """records.csv for neo4j-admin; True when a value spans lines (needs --multiline-fields)."""
    fmt = loader.detect_format(path)
    writer = loader.RejectsWriter(loader.rejects_path(path), fmt)
    index = RecordIndex()
    kinds: dict[str, str] = {}
    duplicates: list[str] = []
    multiline = False
    staged = out / "records.staged.jsonl"
    try:
        with staged.open("w", encoding="utf-8") as stage:
            for chunk in loader.chunks(loader.read_rows(path, "records", fmt), CHUNK):
                prepared = loader.prepare_chunk("records", chunk, None)
                by_number = {row.number: row for row in chunk}
                for failure in prepared.failed:
                    summary.reject("records", writer, by_number[failure.index], failure.error)
                for row in prepared.rows:
                    if row["id"] in index.ids:
                        duplicates.append(f"{row['id']} (row {row['index']})")
                        continue
                    index.add(row["id"], row["props"]["type"])
                    for key, value in row["props"].items():
                        kind = _kind_of(value)
                        if kinds.setdefault(key, kind) != kind:
                            raise OfflineImportError(
                                f"attribute '{key}' holds {kinds[key]} and {kind} values (row "
                                f"{row['index']}); neo4j-admin needs one type per column: "
                                "use `graphsvc load records` instead"
                            )
                        if isinstance(value, list) and any(";" in str(v) for v in value):
                            raise OfflineImportError(
                                f"attribute '{key}' (row {row['index']}) is a list with a ';' "
                                "in a value, the import's array delimiter: use `graphsvc load`"
                            )
                        multiline = multiline or _multiline(value)
                    stage.write(json.dumps([row["id"], row["label"], row["props"]]) + "\n")
    finally:
        writer.close()
    if writer.count:
        summary.rejects.append(writer.path)
    if duplicates:
        raise OfflineImportError(
            f"{len(duplicates)} repeated record id(s) in {path.name}, e.g. "
            f"{', '.join(duplicates[:5])}; the import needs each id once"
        )
    attributes = [k for k in kinds if k not in ("type", "name")]
    header = ["id:ID(Record)", ":LABEL", "type", "name"]
    header += [f"{k}:{kinds[k]}" if kinds[k] != "string" else k for k in attributes]
    header += ["created_at:datetime", "updated_at:datetime"]
    with staged.open(encoding="utf-8") as f, (out / "records.csv").open("w") as csv_file:
        csv_file.write(_line(header))
        for text in f:
            record_id, label, props = json.loads(text)
            cells = [cell(record_id), f"Record;{label}", cell(props["type"]), cell(props["name"])]
            cells += [cell(props.get(k)) for k in attributes]
            csv_file.write(_line([*cells, now, now]))
    staged.unlink()
    summary.records = len(index.ids)
    return index, multiline


# -- connections --------------------------------------------------------------------------------
class LoopCheck:
    """The edges of acyclic relationship types, to refuse a connection that closes a loop."""

    def __init__(self, types: set[str]) -> None:
        self.edges: dict[str, dict[str, list[str]]] = {t: {} for t in types}

    def chain(self, rel_type: str, start: str, end: str) -> list[str] | None:
        """The shortest `start -[rel_type]->+ end` path's record ids, if there is one."""
        edges = self.edges.get(rel_type)
        if edges is None or start not in edges:
            return None
        parent: dict[str, str | None] = {start: None}
        queue = deque([start])
        while queue:
            node = queue.popleft()
            for nxt in edges.get(node, ()):
                if nxt in parent:
                    continue
                parent[nxt] = node
                if nxt == end:
                    path: list[str] = []
                    at: str | None = nxt
                    while at is not None:
                        path.append(at)
                        at = parent[at]
                    return path[::-1]
                queue.append(nxt)
        return None

    def add(self, rel_type: str, start: str, end: str) -> None:
        if rel_type in self.edges:
            self.edges[rel_type].setdefault(start, []).append(end)


def _check(row: dict[str, Any], records: RecordIndex, roles: RoleIndex) -> str | None:
    """The rules that need only the records, from the one rules module (same messages)."""
    ends = []
    for side in ("1", "2"):
        record_id = row[f"record{side}_id"]
        record_type = records.type_of(record_id)
        ends.append(None if record_type is None else rules.Record(record_id, record_type))
    props = row["props"]
    broken = rules.connection(
        ends[0],
        ends[1],
        roles.by_id.get(props["record1_role_id"] or ""),
        roles.by_id.get(props["record2_role_id"] or ""),
        row["record1_id"],
        row["record2_id"],
    )
    return broken.message if broken else None


def convert_connections(
    path: Path, out: Path, now: str, roles: RoleIndex, records: RecordIndex, summary: ImportSummary
) -> bool:
    fmt = loader.detect_format(path)
    writer = loader.RejectsWriter(loader.rejects_path(path), fmt)
    seen: set[int] = set()
    active: dict[str, str] = {}
    duplicates: list[str] = []
    loops = LoopCheck({r.relationship_type for r in roles.by_id.values() if r.acyclic})
    multiline = False
    count = 0
    try:
        with (
            (out / "edges.csv").open("w") as edges,
            (out / "keys.csv").open("w") as keys,
        ):
            edges.write(_line(EDGE_COLUMNS))
            keys.write(_line(KEY_COLUMNS))
            for chunk in loader.chunks(loader.read_rows(path, "connections", fmt), CHUNK):
                prepared = loader.prepare_chunk("connections", chunk, roles)
                by_number = {row.number: row for row in chunk}
                for failure in prepared.failed:
                    summary.reject("connections", writer, by_number[failure.index], failure.error)
                for row in prepared.rows:
                    source = by_number[row["index"]]
                    id_hash = hash(row["id"])
                    if id_hash in seen:
                        duplicates.append(f"{row['id']} (row {row['index']})")
                        continue
                    error = _check(row, records, roles)
                    props = row["props"]
                    a, b = row["record1_id"], row["record2_id"]
                    key = row["active_key"]
                    if error is None and key is not None and key in active:
                        error = rules.duplicate(active[key], a, b).message
                    if error is None:
                        for rel_type, role_id, start, end, acyclic in (
                            (row["type2"], props["record2_role_id"], b, a, row["acyclic2"]),
                            (row["type1"], props["record1_role_id"], a, b, row["acyclic1"]),
                        ):
                            loop = loops.chain(rel_type, start, end) if acyclic else None
                            if loop:
                                error = rules.loop(roles.by_id[role_id], loop).message
                                break
                    if error is not None:
                        summary.reject("connections", writer, source, error)
                        continue
                    seen.add(id_hash)
                    if key is not None:
                        active[key] = row["id"]
                    loops.add(row["type2"], a, b)
                    loops.add(row["type1"], b, a)
                    values = [
                        cell(props[k])
                        for k in (
                            "record1_id",
                            "record2_id",
                            "record1_role_id",
                            "record2_role_id",
                            "state",
                            "description",
                            "effective_start",
                            "effective_end",
                        )
                    ]
                    multiline = multiline or _multiline(props["description"])
                    cid = cell(row["id"])
                    edges.write(
                        _line([cell(a), cell(b), row["type2"], cid, "1", *values, now, now])
                    )
                    edges.write(
                        _line([cell(b), cell(a), row["type1"], cid, "2", *values, now, now])
                    )
                    keys.write(_line([cid, "ConnectionKey", cell(a), cell(b), cell(key)]))
                    count += 1
    finally:
        writer.close()
    if writer.count:
        summary.rejects.append(writer.path)
    if duplicates:
        raise OfflineImportError(
            f"{len(duplicates)} repeated connection id(s) in {path.name}, e.g. "
            f"{', '.join(duplicates[:5])}; the import needs each id once"
        )
    summary.connections = count
    return multiline


# -- the import ---------------------------------------------------------------------------------
def _admin(server: LocalNeo4j, args: list[str], log: Path) -> list[str]:
    command = [server.java(), "-cp", f"{server.lib}/*", ADMIN, *args]
    env = {**os.environ, "NEO4J_HOME": str(server.home), "NEO4J_CONF": str(server.home / "conf")}
    env.pop("JAVA_OPTS", None)
    with log.open("w") as out:
        result = subprocess.run(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    if result.returncode != 0:
        lines = [line for line in log.read_text().splitlines() if line.strip()]
        raise OfflineImportError(
            f"neo4j-admin import failed ({lines[-1] if lines else 'no output'}); see {log}"
        )
    return command


def run_import(
    settings: Settings,
    roles_path: Path,
    records_path: Path,
    connections_path: Path,
    overwrite: bool = False,
    keep: Path | None = None,
) -> ImportSummary:
    """Validate and convert the files, import them, start Neo4j, apply the schema, add roles."""
    for path in (roles_path, records_path, connections_path):
        if not path.is_file():
            raise OfflineImportError(f"no such file: {path}")
    server = LocalNeo4j(settings)
    pid = server.pid()
    if pid is not None:
        raise OfflineImportError(
            f"Neo4j is running (pid {pid}); the import needs it stopped: `graphsvc neo4j stop`"
        )
    server.preflight()  # Java, free ports, the password: seconds, not after minutes of work
    database = server.data_dir / "databases" / settings.neo4j_database
    if database.exists() and not overwrite:
        raise OfflineImportError(
            f"database '{settings.neo4j_database}' already exists in {database.parent}; the "
            "import is for a first load only (use `graphsvc load`), or pass --overwrite to "
            "replace it and everything in it"
        )
    summary = ImportSummary()
    work = Path(tempfile.mkdtemp(prefix="graphsvc-import-", dir=keep))
    roles_format = loader.detect_format(roles_path)
    roles_rejects = loader.RejectsWriter(loader.rejects_path(roles_path), roles_format)
    try:
        started = time.monotonic()
        now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        roles, role_rows = read_roles(roles_path, roles_rejects, summary)
        records, multi1 = convert_records(records_path, work, now, summary)
        multi2 = convert_connections(connections_path, work, now, roles, records, summary)
        summary.convert_seconds = time.monotonic() - started

        started = time.monotonic()
        server.assemble()
        server.write_conf()
        args = [
            "database",
            "import",
            "full",
            settings.neo4j_database,
            f"--nodes={work / 'records.csv'}",
            f"--nodes={work / 'keys.csv'}",
            f"--relationships={work / 'edges.csv'}",
            "--overwrite-destination",
            f"--multiline-fields={'true' if multi1 or multi2 else 'false'}",
            f"--report-file={work / 'import.report'}",
        ]
        summary.admin_command = _admin(server, args, work / "import.log")
        summary.import_seconds = time.monotonic() - started

        started = time.monotonic()
        server.start()
        result = asyncio.run(_finish(settings, role_rows))
        by_number = {row.number: row for row in loader.read_rows(roles_path, "roles", roles_format)}
        for failure in result.failed:
            summary.reject("roles", roles_rejects, by_number[failure.index], failure.error)
        summary.finish_seconds = time.monotonic() - started
    finally:
        roles_rejects.close()
        if roles_rejects.count:
            summary.rejects.insert(0, roles_rejects.path)
        if keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return summary


async def _finish(settings: Settings, role_rows: list[tuple[int, dict[str, Any]]]) -> BatchResult:
    async with create_async_driver(settings) as driver:
        await apply_schema_async(driver, settings.neo4j_database)
        return await upsert_roles(Repository(Graph(driver, settings.neo4j_database)), role_rows)
