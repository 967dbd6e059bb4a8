"""Records, connection roles and connections: every Cypher call for them, through one class.

Each public method is one unit of work in a managed transaction (`execute_read` /
`execute_write`), so the driver retries transient errors (deadlocks, leader switches) by itself.
Neo4j's errors become the domain errors of `graphsvc.errors`.
"""

import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any, TypeVar

from neo4j import AsyncDriver, AsyncManagedTransaction, unit_of_work
from neo4j.exceptions import ConstraintError
from pydantic import TypeAdapter

from graphsvc import cypher
from graphsvc.errors import ConflictError, InvalidError, NotFoundError
from graphsvc.graph.convert import native
from graphsvc.graph.reads import read, record_shape, related_page
from graphsvc.graph.rows import (
    decode_cursor,
    encode_cursor,
    to_connection,
    to_record,
    to_role,
)
from graphsvc.graph.rules import (
    check_applicable,
    check_no_duplicate,
    check_no_loop,
    check_role_type_free,
    get_role,
    id_of,
    lock_records,
    relationship_type_of,
    resolve_sides,
    set_reciprocal,
    type_of,
)
from graphsvc.identifiers import type_label
from graphsvc.models import (
    Connection,
    ConnectionCreate,
    ConnectionPatch,
    Record,
    RecordBody,
    RecordCreate,
    RecordPage,
    RecordPatch,
    RelatedRecordPage,
    Role,
    RoleCreate,
    RolePatch,
)

T = TypeVar("T")
_RECORD = TypeAdapter(Record)
_RECORD_PAGE = TypeAdapter(RecordPage)
Tx = AsyncManagedTransaction


class Repository:
    def __init__(self, driver: AsyncDriver, database: str, timeout: float | None = None) -> None:
        self.driver = driver
        self.database = database
        self.timeout = timeout  # seconds; Neo4j aborts a transaction that runs longer

    async def _write(self, work: Callable[[Tx], Awaitable[T]]) -> T:
        async with self.driver.session(database=self.database) as session:
            return await session.execute_write(unit_of_work(timeout=self.timeout)(work))

    async def _read_one(self, name: str, **params: Any) -> list[dict[str, Any]]:
        """The rows of cypher/<name>.cypher, a single-statement read: auto-commit, one round
        trip (graphsvc/graph/reads.py)."""
        return await read(self.driver, self.database, cypher.load(name), params, self.timeout)

    async def _read(self, work: Callable[[Tx], Awaitable[T]]) -> T:
        async with self.driver.session(database=self.database) as session:
            return await session.execute_read(unit_of_work(timeout=self.timeout)(work))

    # -- records ----------------------------------------------------------------------------
    async def create_record(self, body: RecordCreate) -> Record:
        record_id = body.id or str(uuid.uuid4())

        async def work(tx: Tx) -> dict[str, Any]:
            result = await tx.run(
                cypher.load("record_create"),
                id=record_id,
                label=type_label(body.type),
                props=_record_props(body),
            )
            row = await result.single(strict=True)
            return dict(row["record"])

        try:
            return to_record(await self._write(work))
        except ConstraintError:
            raise ConflictError(f"record '{record_id}' already exists", field="id") from None

    async def put_record(self, record_id: str, body: RecordBody) -> tuple[Record, bool]:
        async def work(tx: Tx) -> tuple[dict[str, Any], bool]:
            result = await tx.run(
                cypher.load("record_put"),
                id=record_id,
                label=type_label(body.type),
                props=_record_props(body),
            )
            row = await result.single(strict=True)
            return dict(row["record"]), bool(row["created"])

        props, created = await self._write(work)
        return to_record(props), created

    async def get_record(self, record_id: str) -> Record:
        rows = await self._read_one("record_get", id=record_id)
        if not rows:
            raise NotFoundError(f"record '{record_id}' not found", field="id")
        return _RECORD.validate_python(record_shape(rows[0]["record"]))

    async def patch_record(self, record_id: str, patch: RecordPatch) -> Record:
        changes: dict[str, Any] = dict(patch.attributes or {})
        if patch.name is not None:
            changes["name"] = patch.name

        async def work(tx: Tx) -> dict[str, Any] | None:
            result = await tx.run(cypher.load("record_patch"), id=record_id, changes=changes)
            row = await result.single()
            return dict(row["record"]) if row else None

        props = await self._write(work)
        if props is None:
            raise NotFoundError(f"record '{record_id}' not found", field="id")
        return to_record(props)

    async def delete_record(self, record_id: str) -> int:
        """Delete a record and every connection it is part of; returns how many connections."""

        async def work(tx: Tx) -> int | None:
            row = await (await tx.run(cypher.load("record_delete"), id=record_id)).single()
            return int(row["connections"]) if row else None

        deleted = await self._write(work)
        if deleted is None:
            raise NotFoundError(f"record '{record_id}' not found", field="id")
        return deleted

    async def list_records(
        self, record_type: str | None, q: str | None, limit: int, cursor: str | None
    ) -> RecordPage:
        after = decode_cursor(cursor)
        rows = await self._read_one(
            "records_list", type=record_type, q=q, after=after, limit=limit + 1
        )
        items = [record_shape(row["record"]) for row in rows[:limit]]
        next_cursor = encode_cursor(items[-1]["id"]) if len(rows) > limit else None
        return _RECORD_PAGE.validate_python({"items": items, "next_cursor": next_cursor})

    # -- connection roles -------------------------------------------------------------------
    async def create_role(self, body: RoleCreate) -> Role:
        role_id = body.id or str(uuid.uuid4())
        rel_type = relationship_type_of(body.name)
        props = body.model_dump(exclude={"id", "reciprocal_role_id"}) | {
            "id": role_id,
            "relationship_type": rel_type,
            "reciprocal_role_id": None,
        }

        async def work(tx: Tx) -> None:
            await check_role_type_free(tx, rel_type, role_id)
            await (await tx.run(cypher.load("role_create"), props=props)).consume()
            if body.reciprocal_role_id:
                await set_reciprocal(tx, role_id, body.reciprocal_role_id)

        try:
            await self._write(work)
        except ConstraintError:
            raise ConflictError(f"connection role '{role_id}' already exists", field="id") from None
        return await self.get_role(role_id)

    async def get_role(self, role_id: str) -> Role:
        async def work(tx: Tx) -> dict[str, Any] | None:
            row = await (await tx.run(cypher.load("role_get"), id=role_id)).single()
            return dict(row["role"]) if row else None

        props = await self._read(work)
        if props is None:
            raise NotFoundError(f"connection role '{role_id}' not found", field="id")
        return to_role(props)

    async def list_roles(self) -> list[Role]:
        return [to_role(row["role"]) for row in await self._read_one("roles_list")]

    async def patch_role(self, role_id: str, patch: RolePatch) -> Role:
        fields = patch.model_fields_set

        async def work(tx: Tx) -> None:
            current = await get_role(tx, role_id)
            props = patch.model_dump(include=fields - {"reciprocal_role_id"})
            if patch.name is not None:
                new_type = relationship_type_of(patch.name)
                if new_type != current["relationship_type"]:
                    await check_role_type_free(tx, new_type, role_id)
                    props["relationship_type"] = new_type
                    await (
                        await tx.run(
                            cypher.load("relationships_retype"),
                            old_type=current["relationship_type"],
                            new_type=new_type,
                        )
                    ).consume()
            props = {k: v for k, v in props.items() if v is not None or k == "description"}
            await (await tx.run(cypher.load("role_update"), id=role_id, props=props)).consume()
            if "reciprocal_role_id" in fields:
                await set_reciprocal(tx, role_id, patch.reciprocal_role_id)

        try:
            await self._write(work)
        except ConstraintError:
            raise ConflictError(
                "another role already has that relationship type", field="name"
            ) from None
        return await self.get_role(role_id)

    async def delete_role(self, role_id: str) -> None:
        async def work(tx: Tx) -> None:
            role = await get_role(tx, role_id)
            result = await tx.run(
                cypher.load("role_in_use"), relationship_type=role["relationship_type"]
            )
            in_use = (await result.single(strict=True))["connections"]
            if in_use:
                raise ConflictError(
                    f"connection role '{role_id}' is used by {in_use} connection(s); delete or "
                    "change them first",
                    field="id",
                    connections=in_use,
                )
            await (await tx.run(cypher.load("role_delete"), id=role_id)).consume()

        await self._write(work)

    # -- connections ------------------------------------------------------------------------
    async def create_connection(self, body: ConnectionCreate) -> Connection:
        connection_id = body.id or str(uuid.uuid4())

        async def work(tx: Tx) -> None:
            role1, role2 = await resolve_sides(
                tx,
                body.record1_role_id or body.record1_role,
                body.record2_role_id or body.record2_role,
                "record1_role_id" if body.record1_role_id else "record1_role",
                "record2_role_id" if body.record2_role_id else "record2_role",
            )
            records = await lock_records(tx, body.record1_id, body.record2_id)
            check_applicable(role1, records[body.record1_id], "record1")
            check_applicable(role2, records[body.record2_id], "record2")
            role1_id, role2_id = id_of(role1), id_of(role2)
            if body.state == "active":
                await check_no_duplicate(tx, body.record1_id, body.record2_id, role1_id, role2_id)
            await check_no_loop(tx, body.record1_id, body.record2_id, role1, role2)
            props = {
                "record1_role_id": role1_id,
                "record2_role_id": role2_id,
                "state": body.state,
                "description": body.description,
                "effective_start": body.effective_start,
                "effective_end": body.effective_end,
            }
            await (
                await tx.run(
                    cypher.load("connection_create"),
                    id=connection_id,
                    record1_id=body.record1_id,
                    record2_id=body.record2_id,
                    type_to_record2=type_of(role2),
                    type_to_record1=type_of(role1),
                    props=props,
                )
            ).consume()

        try:
            await self._write(work)
        except ConstraintError:
            raise ConflictError(
                f"connection '{connection_id}' already exists", field="id"
            ) from None
        return await self.get_connection(connection_id)

    async def get_connection(self, connection_id: str) -> Connection:
        rows = await self._read_one("connection_get", id=connection_id)
        if not rows:
            raise NotFoundError(f"connection '{connection_id}' not found", field="id")
        return to_connection(rows[0])

    async def patch_connection(self, connection_id: str, patch: ConnectionPatch) -> Connection:
        fields = patch.model_fields_set

        async def work(tx: Tx) -> None:
            edges = await (await tx.run(cypher.load("connection_edges"), id=connection_id)).data()
            if not edges:
                raise NotFoundError(f"connection '{connection_id}' not found", field="id")
            edge = native(next(e["edge"] for e in edges if e["edge"]["side"] == 1))
            keys1 = {"record1_role_id", "record1_role"} & fields
            keys2 = {"record2_role_id", "record2_role"} & fields
            role1 = role2 = None
            if keys1 or keys2:
                role1, role2 = await resolve_sides(
                    tx,
                    (patch.record1_role_id or patch.record1_role)
                    if keys1
                    else edge.get("record1_role_id"),
                    (patch.record2_role_id or patch.record2_role)
                    if keys2
                    else edge.get("record2_role_id"),
                    "record1_role_id",
                    "record2_role_id",
                    defaults=False,
                )
            else:
                role1, role2 = await resolve_sides(
                    tx,
                    edge.get("record1_role_id"),
                    edge.get("record2_role_id"),
                    "record1_role_id",
                    "record2_role_id",
                    defaults=False,
                )
            r1, r2 = edge["record1_id"], edge["record2_id"]
            records = await lock_records(tx, r1, r2)
            check_applicable(role1, records[r1], "record1")
            check_applicable(role2, records[r2], "record2")
            start = (
                patch.effective_start
                if "effective_start" in fields
                else edge.get("effective_start")
            )
            end = patch.effective_end if "effective_end" in fields else edge.get("effective_end")
            if start and end and end < start:
                raise InvalidError(
                    "effective_end must not be before effective_start", field="effective_end"
                )
            state = patch.state or edge["state"]
            if state == "active":
                await check_no_duplicate(
                    tx, r1, r2, id_of(role1), id_of(role2), exclude=connection_id
                )
            await check_no_loop(tx, r1, r2, role1, role2)
            props: dict[str, Any] = {
                "record1_role_id": id_of(role1),
                "record2_role_id": id_of(role2),
                "state": state,
                "effective_start": start,
                "effective_end": end,
            }
            if patch.description is not None:
                props["description"] = patch.description
            await (
                await tx.run(
                    cypher.load("connection_update"),
                    id=connection_id,
                    props=props,
                    type_to_record2=type_of(role2),
                    type_to_record1=type_of(role1),
                )
            ).consume()

        await self._write(work)
        return await self.get_connection(connection_id)

    async def delete_connection(self, connection_id: str) -> None:
        async def work(tx: Tx) -> bool:
            row = await (await tx.run(cypher.load("connection_delete"), id=connection_id)).single()
            return row is not None

        if not await self._write(work):
            raise NotFoundError(f"connection '{connection_id}' not found", field="id")

    async def record_connections(
        self,
        record_id: str,
        role: str | None,
        record_type: str | None,
        state: str | None,
        as_of: date | None,
        limit: int,
        cursor: str | None,
    ) -> RelatedRecordPage:
        after = decode_cursor(cursor)
        rows = await self._read_one(
            "record_connections",
            id=record_id,
            role=role,
            record_type=record_type,
            state=state,
            as_of=as_of,
            after=after,
            limit=limit + 1,
        )
        return related_page(rows[0], record_id, role, limit)


def _record_props(body: RecordBody) -> dict[str, Any]:
    return {**body.attributes, "type": body.type, "name": body.name}
