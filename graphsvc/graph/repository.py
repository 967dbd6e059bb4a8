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

from graphsvc import cypher
from graphsvc.errors import ConflictError, InvalidError, NotFoundError
from graphsvc.graph.convert import native
from graphsvc.graph.rows import (
    decode_cursor,
    encode_cursor,
    to_connection,
    to_record,
    to_related,
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
    resolve_roles,
    resolve_sides,
    set_reciprocal,
    type_of,
)
from graphsvc.identifiers import type_label
from graphsvc.models import (
    MAX_ATTRIBUTES,
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
Tx = AsyncManagedTransaction


class Repository:
    def __init__(self, driver: AsyncDriver, database: str, timeout: float | None = None) -> None:
        self.driver = driver
        self.database = database
        self.timeout = timeout  # seconds; Neo4j aborts a transaction that runs longer

    async def _write(self, work: Callable[[Tx], Awaitable[T]]) -> T:
        async with self.driver.session(database=self.database) as session:
            return await session.execute_write(unit_of_work(timeout=self.timeout)(work))

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
        async def work(tx: Tx) -> dict[str, Any] | None:
            row = await (await tx.run(cypher.load("record_get"), id=record_id)).single()
            return dict(row["record"]) if row else None

        props = await self._read(work)
        if props is None:
            raise NotFoundError(f"record '{record_id}' not found", field="id")
        return to_record(props)

    async def patch_record(self, record_id: str, patch: RecordPatch) -> Record:
        changes: dict[str, Any] = dict(patch.attributes or {})
        if patch.name is not None:
            changes["name"] = patch.name

        async def work(tx: Tx) -> tuple[dict[str, Any], int] | None:
            result = await tx.run(
                cypher.load("record_patch"),
                id=record_id,
                changes=changes,
                max_attributes=MAX_ATTRIBUTES,
            )
            row = await result.single()
            return (dict(row["record"]), row["attributes"]) if row else None

        found = await self._write(work)
        if found is None:
            raise NotFoundError(f"record '{record_id}' not found", field="id")
        props, attributes = found
        if attributes > MAX_ATTRIBUTES:
            raise InvalidError(
                f"the record would hold {attributes} attributes; at most {MAX_ATTRIBUTES}",
                field="attributes",
            )
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

        async def work(tx: Tx) -> list[dict[str, Any]]:
            result = await tx.run(
                cypher.load("records_list"), type=record_type, q=q, after=after, limit=limit + 1
            )
            return [dict(row["record"]) async for row in result]

        rows = await self._read(work)
        items = [to_record(p) for p in rows[:limit]]
        next_cursor = encode_cursor(items[-1].id) if len(rows) > limit else None
        return RecordPage(items=items, next_cursor=next_cursor)

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
        async def work(tx: Tx) -> list[dict[str, Any]]:
            return [dict(row["role"]) async for row in await tx.run(cypher.load("roles_list"))]

        return [to_role(p) for p in await self._read(work)]

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
        async def work(tx: Tx) -> dict[str, Any] | None:
            row = await (await tx.run(cypher.load("connection_get"), id=connection_id)).single()
            return row.data() if row else None

        row = await self._read(work)
        if row is None:
            raise NotFoundError(f"connection '{connection_id}' not found", field="id")
        return to_connection(row)

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

        async def work(tx: Tx) -> list[dict[str, Any]] | None:
            rel_type = None
            if role:
                rel_type = (await resolve_roles(tx, {"role": role}))["role"]["relationship_type"]
            result = await tx.run(
                cypher.load("record_connections"),
                id=record_id,
                relationship_type=rel_type,
                record_type=record_type,
                state=state,
                as_of=as_of,
                after=after,
                limit=limit + 1,
            )
            row = await result.single()
            return None if row is None else list(row["items"])

        rows = await self._read(work)
        if rows is None:
            raise NotFoundError(f"record '{record_id}' not found", field="id")
        rows.sort(key=lambda row: row["edge"]["connection_id"])
        items = [to_related(row) for row in rows[:limit]]
        next_cursor = encode_cursor(items[-1].connection_id) if len(rows) > limit else None
        return RelatedRecordPage(items=items, next_cursor=next_cursor)


def _record_props(body: RecordBody) -> dict[str, Any]:
    return {**body.attributes, "type": body.type, "name": body.name}
