"""The batch write path: many records, roles or connections per transaction, each row reported.

A batch is one `UNWIND` statement per kind, run in a managed write transaction, so a batch is
atomic and the driver retries it on transient errors; the statement computes each row's outcome
(created / updated / unchanged / failed) itself. Rows are validated with the same pydantic models
as the single-item API before any of them reaches Neo4j, and roles are resolved here from one
read of the (few) roles, so a row with a bad field or an unknown role fails in Python with the
field named. Connections are idempotent by connection id: both edges and the key node are
written by one statement, so there is never half a connection.

A row that would duplicate an active connection held under another id (the API's 409) fails
with the duplicate's id. If Neo4j rejects a whole batch (a client error, e.g. a constraint
raced by a concurrent writer), its rows are retried one by one so only the culprit fails;
not when it ran past its time limit (`timeout`): that error goes to the caller.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, LiteralString

from neo4j import AsyncDriver, AsyncManagedTransaction, Driver, ManagedTransaction, unit_of_work
from neo4j.exceptions import ClientError
from pydantic import ValidationError

from graphsvc import cypher
from graphsvc.errors import GraphError, is_timeout
from graphsvc.graph.repository import Repository
from graphsvc.graph.rows import to_role
from graphsvc.identifiers import NO_ROLE_TYPE, type_label
from graphsvc.models import (
    BatchFailure,
    BatchResult,
    ConnectionCreate,
    RecordCreate,
    RoleCreate,
    RolePatch,
)

MAX_BATCH_ROWS = 10_000
Item = tuple[int, Any]  # (index the caller reports failures by, the raw row)


def validation_message(exc: ValidationError) -> str:
    """`field: reason; ...` for a row that failed its model."""
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "row"
        parts.append(f"{loc}: {str(err['msg']).removeprefix('Value error, ')}")
    return "; ".join(parts)


def _failure(index: int, raw: Any, error: str) -> BatchFailure:
    row_id = raw.get("id") if isinstance(raw, dict) else None
    return BatchFailure(index=index, id=row_id if isinstance(row_id, str) else None, error=error)


@dataclass
class Prepared:
    """Query rows for the statement, and the rows that already failed in Python."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    failed: list[BatchFailure] = field(default_factory=list)


# -- records ------------------------------------------------------------------------------------
def prepare_records(items: Iterable[Item]) -> Prepared:
    out = Prepared()
    for index, raw in items:
        try:
            body = RecordCreate.model_validate(raw)
        except ValidationError as exc:
            out.failed.append(_failure(index, raw, validation_message(exc)))
            continue
        if body.id is None:
            out.failed.append(_failure(index, raw, "id: required in a batch (upserts are by id)"))
            continue
        props = {**body.attributes, "type": body.type, "name": body.name}
        out.rows.append(
            {"index": index, "id": body.id, "label": type_label(body.type), "props": props}
        )
    return out


# -- connections --------------------------------------------------------------------------------
class RoleIndex:
    """The roles, looked up as the API does: by id, then exact name, then name in any case."""

    def __init__(self, roles: Iterable[dict[str, Any]]) -> None:
        self.by_id: dict[str, dict[str, Any]] = {}
        self.by_name: dict[str, dict[str, Any]] = {}
        self.by_lower: dict[str, dict[str, Any]] = {}
        for role in roles:
            self.by_id[role["id"]] = role
            self.by_name.setdefault(role["name"], role)
            self.by_lower.setdefault(role["name"].lower(), role)

    def get(self, key: str) -> dict[str, Any] | None:
        return self.by_id.get(key) or self.by_name.get(key) or self.by_lower.get(key.lower())


def _sides(
    body: ConnectionCreate, roles: RoleIndex
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    found: list[dict[str, Any] | None] = []
    for side in ("record1", "record2"):
        by_id, by_name = getattr(body, f"{side}_role_id"), getattr(body, f"{side}_role")
        key, field_name = (by_id, f"{side}_role_id") if by_id else (by_name, f"{side}_role")
        role = roles.get(key) if key else None
        if key and role is None:
            raise LookupError(f"{field_name}: connection role '{key}' not found")
        found.append(role)
    role1, role2 = found
    if (role1 is None) != (role2 is None):
        given = role1 or role2
        assert given is not None
        other = roles.by_id.get(given.get("reciprocal_role_id") or "")
        role1, role2 = (other, role2) if role1 is None else (role1, other)
    return role1, role2


def prepare_connections(items: Iterable[Item], roles: RoleIndex) -> Prepared:
    out = Prepared()
    for index, raw in items:
        try:
            body = ConnectionCreate.model_validate(raw)
        except ValidationError as exc:
            out.failed.append(_failure(index, raw, validation_message(exc)))
            continue
        if body.id is None:
            out.failed.append(
                _failure(index, raw, "id: required in a batch (connections are upserted by id)")
            )
            continue
        try:
            role1, role2 = _sides(body, roles)
        except LookupError as exc:
            out.failed.append(_failure(index, raw, str(exc)))
            continue
        out.rows.append(
            {
                "index": index,
                "id": body.id,
                "record1_id": body.record1_id,
                "record2_id": body.record2_id,
                "type1": role1["relationship_type"] if role1 else NO_ROLE_TYPE,
                "type2": role2["relationship_type"] if role2 else NO_ROLE_TYPE,
                "role1_name": role1["name"] if role1 else "",
                "role2_name": role2["name"] if role2 else "",
                "role1_types": (role1.get("record_types") or []) if role1 else [],
                "role2_types": (role2.get("record_types") or []) if role2 else [],
                "acyclic1": bool(role1 and role1.get("acyclic")),
                "acyclic2": bool(role2 and role2.get("acyclic")),
                "props": {
                    "connection_id": body.id,
                    "record1_id": body.record1_id,
                    "record2_id": body.record2_id,
                    "record1_role_id": role1["id"] if role1 else None,
                    "record2_role_id": role2["id"] if role2 else None,
                    "state": body.state,
                    "description": body.description,
                    "effective_start": body.effective_start,
                    "effective_end": body.effective_end,
                },
            }
        )
    return out


# -- running a statement ------------------------------------------------------------------------
def _result(row: dict[str, Any], failed: list[BatchFailure]) -> BatchResult:
    failed = failed + [BatchFailure(**f) for f in row["failed"]]
    return BatchResult(
        created=row["created"],
        updated=row["updated"],
        unchanged=row["unchanged"],
        failed=sorted(failed, key=lambda f: f.index),
    )


def _rejected(rows: list[dict[str, Any]], exc: ClientError) -> list[BatchFailure]:
    return [
        BatchFailure(
            index=r["index"],
            id=r["id"],
            error=f"rejected by Neo4j: {(exc.message or exc.code or '').splitlines()[0][:300]}",
        )
        for r in rows
    ]


def _empty() -> dict[str, Any]:
    return {"created": 0, "updated": 0, "unchanged": 0, "failed": []}


def _add(total: dict[str, Any], row: dict[str, Any]) -> dict[str, Any]:
    return {k: total[k] + row[k] for k in total}


class BatchWriter:
    """The batch write path on the sync driver (the CLI loader)."""

    def __init__(self, driver: Driver, database: str, timeout: float | None = None) -> None:
        self.driver = driver
        self.database = database
        self.timeout = timeout  # seconds per batch transaction (GRAPHSVC_QUERY_TIMEOUT)

    def roles(self) -> RoleIndex:
        records, _, _ = self.driver.execute_query(
            cypher.load("roles_list"), database_=self.database
        )
        return RoleIndex(dict(r["role"]) for r in records)

    def _run(self, query: LiteralString, rows: list[dict[str, Any]]) -> dict[str, Any]:
        def work(tx: ManagedTransaction) -> dict[str, Any]:
            row = tx.run(query, rows=rows).single(strict=True)
            return row.data()

        with self.driver.session(database=self.database) as session:
            return session.execute_write(unit_of_work(timeout=self.timeout)(work))

    def _run_split(self, name: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
        if not rows:
            return _empty()
        query = cypher.load(name)
        try:
            return self._run(query, rows)
        except ClientError as exc:
            if is_timeout(exc.code):
                raise  # row by row would only take longer: the caller gets the timeout
            if len(rows) == 1:
                return _empty() | {"failed": [f.model_dump() for f in _rejected(rows, exc)]}
        total = _empty()
        for row in rows:
            total = _add(total, self._run_split(name, [row]))
        return total

    def run(self, name: str, prepared: Prepared) -> BatchResult:
        """Write prepared rows with the statement `name` (thread-safe: the driver is)."""
        return _result(self._run_split(name, prepared.rows), prepared.failed)

    def write_records(self, items: Iterable[Item]) -> BatchResult:
        return self.run("batch_records_upsert", prepare_records(items))

    def write_connections(
        self, items: Iterable[Item], roles: RoleIndex | None = None
    ) -> BatchResult:
        prepared = prepare_connections(items, roles or self.roles())
        return _result(self._run_split("batch_connections_upsert", prepared.rows), prepared.failed)


class AsyncBatchWriter:
    """The batch write path on the async driver (the API)."""

    def __init__(self, driver: AsyncDriver, database: str, timeout: float | None = None) -> None:
        self.driver = driver
        self.database = database
        self.timeout = timeout  # seconds per batch transaction (GRAPHSVC_QUERY_TIMEOUT)

    async def roles(self) -> RoleIndex:
        records, _, _ = await self.driver.execute_query(
            cypher.load("roles_list"), database_=self.database
        )
        return RoleIndex(dict(r["role"]) for r in records)

    async def _run(self, query: LiteralString, rows: list[dict[str, Any]]) -> dict[str, Any]:
        async def work(tx: AsyncManagedTransaction) -> dict[str, Any]:
            row = await (await tx.run(query, rows=rows)).single(strict=True)
            return row.data()

        async with self.driver.session(database=self.database) as session:
            return await session.execute_write(unit_of_work(timeout=self.timeout)(work))

    async def _run_split(self, name: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
        if not rows:
            return _empty()
        query = cypher.load(name)
        try:
            return await self._run(query, rows)
        except ClientError as exc:
            if is_timeout(exc.code):
                raise  # row by row would only take longer: the caller gets the timeout
            if len(rows) == 1:
                return _empty() | {"failed": [f.model_dump() for f in _rejected(rows, exc)]}
        total = _empty()
        for row in rows:
            total = _add(total, await self._run_split(name, [row]))
        return total

    async def write_records(self, items: Iterable[Item]) -> BatchResult:
        prepared = prepare_records(items)
        return _result(
            await self._run_split("batch_records_upsert", prepared.rows), prepared.failed
        )

    async def write_connections(self, items: Iterable[Item]) -> BatchResult:
        prepared = prepare_connections(items, await self.roles())
        return _result(
            await self._run_split("batch_connections_upsert", prepared.rows), prepared.failed
        )


# -- roles --------------------------------------------------------------------------------------
async def upsert_roles(repo: Repository, items: Iterable[Item]) -> BatchResult:
    """Roles by id (or by name when a row has no id), through the single-item rules.

    Roles are few, so each is its own transaction; reciprocals are set in a second pass, once
    every role of the file exists (a row may name a role that comes later in the file)."""
    result = BatchResult()
    existing = RoleIndex(r.model_dump() for r in await repo.list_roles())
    pending: list[tuple[int, str, str | None]] = []
    for index, raw in items:
        try:
            body = RoleCreate.model_validate(raw)
        except ValidationError as exc:
            result.failed.append(_failure(index, raw, validation_message(exc)))
            continue
        current = existing.by_id.get(body.id) if body.id else existing.by_name.get(body.name)
        fields = body.model_dump(exclude={"id", "reciprocal_role_id"})
        try:
            if current is None:
                role = await repo.create_role(body.model_copy(update={"reciprocal_role_id": None}))
                result.created += 1
            elif any(current.get(k) != v for k, v in fields.items()):
                role = await repo.patch_role(current["id"], RolePatch(**fields))
                result.updated += 1
            elif current.get("reciprocal_role_id") != body.reciprocal_role_id:
                role = to_role(current)
                result.updated += 1
            else:
                result.unchanged += 1
                continue
        except GraphError as exc:
            result.failed.append(_failure(index, raw, exc.detail))
            continue
        pending.append((index, role.id, body.reciprocal_role_id))
    for index, role_id, reciprocal_id in pending:
        try:
            if (await repo.get_role(role_id)).reciprocal_role_id != reciprocal_id:
                await repo.patch_role(role_id, RolePatch(reciprocal_role_id=reciprocal_id))
        except GraphError as exc:
            result.failed.append(BatchFailure(index=index, id=role_id, error=exc.detail))
    result.failed.sort(key=lambda f: f.index)
    return result
