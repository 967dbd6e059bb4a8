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
from dataclasses import dataclass, field, replace
from typing import Any

from neo4j import AsyncManagedTransaction, unit_of_work
from neo4j.exceptions import ClientError
from pydantic import ValidationError

from graphsvc import cypher, rules
from graphsvc.errors import GraphError
from graphsvc.graph.handle import Graph
from graphsvc.graph.locks import lock_roles, timed_out
from graphsvc.graph.repository import Repository
from graphsvc.graph.roles import RoleIndex
from graphsvc.graph.rows import to_role
from graphsvc.identifiers import type_label
from graphsvc.models import (
    BatchFailure,
    BatchResult,
    ConnectionCreate,
    RecordCreate,
    RoleCreate,
    RolePatch,
)
from graphsvc.rules import Role

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
    """Query rows for the statement, the rows that already failed in Python, and (connections)
    the raw items and roles the rows were prepared from, to prepare them again under locks."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    failed: list[BatchFailure] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    roles: RoleIndex | None = None


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
def _connection_row(index: int, body: ConnectionCreate, roles: RoleIndex) -> dict[str, Any]:
    """The statement's row for one valid connection, or ValueError with the row's error."""
    assert body.id is not None
    try:
        role1, role2 = roles.sides(
            body.record1_role_id or body.record1_role,
            body.record2_role_id or body.record2_role,
            "record1_role_id" if body.record1_role_id else "record1_role",
            "record2_role_id" if body.record2_role_id else "record2_role",
        )
    except LookupError as exc:
        field_name, key = exc.args
        v = rules.violation(rules.Code.ROLE_MISSING, field_name, role_id=key, where=field_name)
        raise ValueError(v.message) from None
    broken = rules.shape(role1, role2)
    if broken:
        raise ValueError(broken.message)
    role1_id, role2_id = rules.id_of(role1), rules.id_of(role2)
    return {
        "index": index,
        "id": body.id,
        "record1_id": body.record1_id,
        "record2_id": body.record2_id,
        "type1": rules.type_of(role1),
        "type2": rules.type_of(role2),
        "role1_types": list(role1.record_types) if role1 else [],
        "role2_types": list(role2.record_types) if role2 else [],
        "acyclic1": bool(role1 and role1.acyclic),
        "acyclic2": bool(role2 and role2.acyclic),
        "active_key": rules.active_key(
            body.record1_id, body.record2_id, role1_id, role2_id, body.state
        ),
        "props": {
            "connection_id": body.id,
            "record1_id": body.record1_id,
            "record2_id": body.record2_id,
            "record1_role_id": role1_id,
            "record2_role_id": role2_id,
            "state": body.state,
            "description": body.description,
            "effective_start": body.effective_start,
            "effective_end": body.effective_end,
        },
    }


def prepare_connections(items: Iterable[Item], roles: RoleIndex) -> Prepared:
    out = Prepared(roles=roles)
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
            out.rows.append(_connection_row(index, body, roles))
        except ValueError as exc:
            out.failed.append(_failure(index, raw, str(exc)))
            continue
        out.items.append((index, raw))
    return out


def _roles_used(prepared: Prepared) -> set[str]:
    return {
        role_id
        for row in prepared.rows
        for role_id in (row["props"]["record1_role_id"], row["props"]["record2_role_id"])
        if role_id
    }


def failure_message(row: dict[str, Any], error: dict[str, Any], roles: RoleIndex) -> str:
    """The message of a failure code the batch statement returned, from the rules' table."""
    code = rules.Code(error["code"])
    if code is rules.Code.TYPE_IN_USE:  # a record row whose change of type a connection forbids
        context = {k: error[k] for k in ("record_id", "record_type", "connection_id", "role")}
        return rules.violation(code, "type", **context, types=", ".join(error["types"])).message
    side = error.get("side")
    role = roles.by_id.get(row["props"][f"record{side}_role_id"] or "") if side else None
    if code is rules.Code.RECORD_MISSING:
        field_name = f"record{side}_id"
        v = rules.violation(code, field_name, record_id=row[field_name], where=field_name)
    elif code is rules.Code.ROLE_TYPES:
        assert role is not None
        v = rules.violation(
            code,
            None,
            role=role.name,
            types=", ".join(role.record_types),
            side=f"record{side}",
            record_id=row[f"record{side}_id"],
            record_type=error["record_type"],
        )
    elif code is rules.Code.DUPLICATE:
        v = rules.duplicate(error["duplicate"], row["record1_id"], row["record2_id"])
    elif code is rules.Code.LOOP:
        v = rules.loop(role.name if role else "?", error["chain"])
    else:
        v = rules.violation(
            code,
            None,
            connection_id=row["id"],
            **{k: error[k] for k in ("old1", "old2") if k in error},
        )
    return v.message


# -- running a statement ------------------------------------------------------------------------
def _result(row: dict[str, Any], prepared: Prepared) -> BatchResult:
    by_index = {r["index"]: r for r in prepared.rows}
    failed = prepared.failed + [
        BatchFailure(
            index=f["index"],
            id=f["id"],
            error=f["error"]
            if isinstance(f["error"], str)
            else failure_message(by_index[f["index"]], f["error"], prepared.roles or RoleIndex([])),
        )
        for f in row["failed"]
    ]
    return BatchResult(
        created=row["created"],
        updated=row["updated"],
        unchanged=row["unchanged"],
        failed=sorted(failed, key=lambda f: f.index),
    )


def _rejected(rows: list[dict[str, Any]], exc: ClientError) -> list[dict[str, Any]]:
    return [
        {
            "index": r["index"],
            "id": r["id"],
            "error": f"rejected by Neo4j: {(exc.message or exc.code or '').splitlines()[0][:300]}",
        }
        for r in rows
    ]


def _empty() -> dict[str, Any]:
    return {"created": 0, "updated": 0, "unchanged": 0, "failed": []}


def _add(total: dict[str, Any], row: dict[str, Any]) -> dict[str, Any]:
    return {k: total[k] + row[k] for k in total}


class BatchWriter:
    """The batch write path (the API's /batch routes and the loader), on the async driver.

    Locks: a connection batch first locks every role its rows use (id order), and re-resolves
    its rows if a role changed since they were prepared; the statement then writes. Records are
    not locked one by one (2 x rows writes): the rules that read a record's type hold the role
    lock that a type change also takes, and a record deleted under the batch makes Neo4j reject
    the batch, whose rows are then retried one by one."""

    def __init__(self, graph: Graph) -> None:
        self.driver = graph.driver
        self.database = graph.database
        self.timeout = graph.timeout

    async def roles(self) -> RoleIndex:
        records, _, _ = await self.driver.execute_query(
            cypher.load("roles_list"), database_=self.database
        )
        return RoleIndex(dict(r["role"]) for r in records)

    async def _run(self, name: str, prepared: Prepared) -> dict[str, Any]:
        query = cypher.load(name)

        async def work(tx: AsyncManagedTransaction) -> dict[str, Any]:
            # the rows that failed in Python are the caller's to report; a fresh preparation
            # under the locks may fail more
            rows = replace(prepared, failed=[])
            if rows.roles is not None:
                rows = await _lock_roles(tx, rows)
            row = await (await tx.run(query, rows=rows.rows)).single(strict=True)
            return _result(row.data(), rows).model_dump()

        async with self.driver.session(database=self.database) as session:
            return await session.execute_write(unit_of_work(timeout=self.timeout)(work))

    async def _run_split(self, name: str, prepared: Prepared) -> dict[str, Any]:
        if not prepared.rows:
            return _empty()
        try:
            return await self._run(name, prepared)
        except ClientError as exc:
            if timeout := timed_out(exc):
                raise timeout from None
            if len(prepared.rows) == 1:
                return _empty() | {"failed": _rejected(prepared.rows, exc)}
        total = _empty()
        for row in prepared.rows:
            one = Prepared(rows=[row], roles=prepared.roles)
            one.items = [i for i in prepared.items if i[0] == row["index"]]
            total = _add(total, await self._run_split(name, one))
        return total

    async def run(self, name: str, prepared: Prepared) -> BatchResult:
        """Write prepared rows with the statement `name`; every row reported."""
        out = BatchResult.model_validate(await self._run_split(name, prepared))
        out.failed = sorted(out.failed + prepared.failed, key=lambda f: f.index)
        return out

    async def write_records(self, items: Iterable[Item]) -> BatchResult:
        return await self.run("batch_records_upsert", prepare_records(items))

    async def write_connections(
        self, items: Iterable[Item], roles: RoleIndex | None = None
    ) -> BatchResult:
        prepared = prepare_connections(items, roles or await self.roles())
        return await self.run("batch_connections_upsert", prepared)


async def _lock_roles(tx: AsyncManagedTransaction, prepared: Prepared) -> Prepared:
    """Lock the roles the rows use; if any changed since the rows were prepared (renamed,
    narrowed, deleted), prepare them again from the roles as they are now, until stable."""
    locked: dict[str, Role] = {}
    while True:
        wanted = _roles_used(prepared) - set(locked)
        locked |= await lock_roles(tx, wanted)
        assert prepared.roles is not None
        if all(prepared.roles.by_id.get(i) == locked.get(i) for i in _roles_used(prepared)):
            return prepared
        rows = await (await tx.run(cypher.load("roles_list"))).data()
        again = prepare_connections(prepared.items, RoleIndex(dict(r["role"]) for r in rows))
        prepared = again
        locked = {}


# -- roles --------------------------------------------------------------------------------------
async def upsert_roles(repo: Repository, items: Iterable[Item]) -> BatchResult:
    """Roles by id (or by name when a row has no id), through the single-item rules.

    Roles are few, so each is its own transaction; reciprocals are set in a second pass, once
    every role of the file exists (a row may name a role that comes later in the file)."""
    result = BatchResult()
    listed = [r.model_dump() for r in await repo.list_roles()]
    by_id = {r["id"]: r for r in listed}
    by_name = {r["name"]: r for r in reversed(listed)}
    pending: list[tuple[int, str, str | None]] = []
    for index, raw in items:
        try:
            body = RoleCreate.model_validate(raw)
        except ValidationError as exc:
            result.failed.append(_failure(index, raw, validation_message(exc)))
            continue
        current = by_id.get(body.id) if body.id else by_name.get(body.name)
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
