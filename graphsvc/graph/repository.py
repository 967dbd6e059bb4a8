"""Records, connection roles and connections: every Cypher call for them, through one class.

Each public method is one unit of work in a managed transaction (`execute_read` /
`execute_write`), so the driver retries transient errors (deadlocks, leader switches) by itself.
Neo4j's errors become the domain errors of `graphsvc.errors`.
A connection's writes live in `graph/connection_writes.py`; the methods here hand them `_write`.
"""

import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any, TypeVar

from neo4j import AsyncManagedTransaction, unit_of_work
from neo4j.exceptions import ClientError, ConstraintError
from pydantic import TypeAdapter

from graphsvc import cypher, rules
from graphsvc.errors import ConflictError, InvalidError, NotFoundError
from graphsvc.graph import connection_writes
from graphsvc.graph.handle import DeletedUnderUs, Graph
from graphsvc.graph.locks import (
    check_role_change,
    check_role_type_free,
    error,
    lock_connections_of_type,
    lock_for_type_change,
    lock_record,
    lock_role,
    relationship_type_of,
    set_reciprocal,
    timed_out,
)
from graphsvc.graph.reads import connection_gone, gone, read, record_shape, related_page
from graphsvc.graph.rows import (
    decode_cursor,
    encode_cursor,
    to_connection,
    to_record,
    to_role,
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
_RECORD = TypeAdapter(Record)
_RECORD_PAGE = TypeAdapter(RecordPage)
Tx = AsyncManagedTransaction


class Repository:
    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.driver = graph.driver
        self.database = graph.database
        self.timeout = graph.timeout

    async def _write(self, work: Callable[[Tx], Awaitable[T]]) -> T:
        try:
            return await self.graph.write(work)
        except ClientError as exc:
            raise timed_out(exc) or exc from None

    async def _read_one(self, name: str, **params: Any) -> list[dict[str, Any]]:
        """The rows of cypher/service/<name>.cypher, a single-statement read: auto-commit, one round
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
        """Create or replace a record. A change of type first locks the roles it could break
        and is refused (409) while a connection gives the record a role that excludes it."""

        async def work(tx: Tx) -> tuple[dict[str, Any], bool]:
            current = await (await tx.run(cypher.load("record_get"), id=record_id)).single()
            if current is not None and gone(current["record"]):
                current = None  # deleted between the read's match and its properties: a create
            if current is not None and current["record"]["type"] != body.type:
                await lock_for_type_change(tx, record_id, body.type)
            elif current is not None and await lock_record(tx, record_id) not in (None, body.type):
                # Retyped while we waited for its lock: a type change after all. Its roles are
                # locked after the record, against the order (a deadlock is retried); without
                # this the PUT overwrote the new type unchecked (found by test_chaos.py).
                await lock_for_type_change(tx, record_id, body.type)
            result = await tx.run(
                cypher.load("record_put"),
                id=record_id,
                label=type_label(body.type),
                props=_record_props(body),
            )
            row = await result.single(strict=True)
            if "id" not in row["record"]:
                raise DeletedUnderUs  # matched, then deleted by a DELETE that committed first
            return dict(row["record"]), bool(row["created"])

        props, created = await self._write(work)
        return to_record(props), created

    async def get_record(self, record_id: str) -> Record:
        rows = await self._read_one("record_get", id=record_id)
        if not rows or gone(rows[0]["record"]):
            raise NotFoundError(f"record '{record_id}' not found", field="id")
        return _RECORD.validate_python(record_shape(rows[0]["record"]))

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
            row = await result.single()  # none: missing, or deleted before we held its lock
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
        """Delete a record and every connection it is part of; returns how many connections.
        The record is locked before its connections are read, so a create that races the
        delete either committed first (and is deleted with it) or finds the record gone."""

        async def work(tx: Tx) -> int | None:
            if await lock_record(tx, record_id) is None:
                return None
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
        items = [record_shape(row["record"]) for row in rows[:limit] if not gone(row["record"])]
        # Every record of the page deleted while the query ran: the same page again.
        last = encode_cursor(items[-1]["id"]) if items else cursor
        next_cursor = last if len(rows) > limit else None
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

        async def work(tx: Tx) -> dict[str, Any]:
            await check_role_type_free(tx, rel_type, role_id)
            await (await tx.run(cypher.load("role_create"), props=props)).consume()
            if body.reciprocal_role_id:
                await set_reciprocal(tx, role_id, body.reciprocal_role_id)
            return await _role_props(tx, role_id)

        try:
            return to_role(await self._write(work))
        except ConstraintError:
            raise ConflictError(f"connection role '{role_id}' already exists", field="id") from None

    async def get_role(self, role_id: str) -> Role:
        async def work(tx: Tx) -> dict[str, Any] | None:
            row = await (await tx.run(cypher.load("role_get"), id=role_id)).single()
            return dict(row["role"]) if row else None

        props = await self._read(work)
        if props is None or gone(props):
            raise NotFoundError(f"connection role '{role_id}' not found", field="id")
        return to_role(props)

    async def list_roles(self) -> list[Role]:
        rows = await self._read_one("roles_list")
        return [to_role(row["role"]) for row in rows if not gone(row["role"])]

    async def patch_role(self, role_id: str, patch: RolePatch) -> Role:
        """Lock the role (its creates hold it), then check the change against the connections it
        already has: a rename retypes every edge, narrowing `record_types` or turning `acyclic`
        on is refused (409) while a connection breaks the new rule."""
        fields = patch.model_fields_set

        async def work(tx: Tx) -> dict[str, Any]:
            current = await lock_role(tx, role_id)
            props = patch.model_dump(include=fields - {"reciprocal_role_id"})
            props = {k: v for k, v in props.items() if v is not None or k == "description"}
            await check_role_change(tx, current, props)
            if patch.name is not None:
                new_type = relationship_type_of(patch.name)
                if new_type != current["relationship_type"]:
                    await check_role_type_free(tx, new_type, role_id)
                    props["relationship_type"] = new_type
                    await lock_connections_of_type(tx, current["relationship_type"])
                    await (
                        await tx.run(
                            cypher.load("relationships_retype"),
                            old_type=current["relationship_type"],
                            new_type=new_type,
                        )
                    ).consume()
            await (await tx.run(cypher.load("role_update"), id=role_id, props=props)).consume()
            if "reciprocal_role_id" in fields:
                await set_reciprocal(tx, role_id, patch.reciprocal_role_id)
            return await _role_props(tx, role_id)

        try:
            return to_role(await self._write(work))
        except ConstraintError:
            raise ConflictError(
                "another role already has that relationship type", field="name"
            ) from None

    async def delete_role(self, role_id: str) -> None:
        """Lock the role first: a create using it either committed before (409: in use) or
        waits and then finds it gone (404)."""

        async def work(tx: Tx) -> None:
            role = await lock_role(tx, role_id)
            result = await tx.run(
                cypher.load("role_in_use"), relationship_type=role["relationship_type"]
            )
            in_use = (await result.single(strict=True))["connections"]
            if in_use:
                raise error(
                    rules.violation(
                        rules.Code.ROLE_IN_USE, "id", role_id=role_id, connections=in_use
                    )
                )
            await (await tx.run(cypher.load("role_delete"), id=role_id)).consume()

        await self._write(work)

    # -- connections ------------------------------------------------------------------------
    async def create_connection(self, body: ConnectionCreate) -> Connection:
        """Locks: the roles (id order), then both records (id order); every rule is checked
        under them and the connection returned from the same transaction."""
        return await connection_writes.create_connection(self._write, body)

    async def get_connection(self, connection_id: str) -> Connection:
        rows = await self._read_one("connection_get", id=connection_id)
        if not rows or connection_gone(rows[0]):
            raise NotFoundError(f"connection '{connection_id}' not found", field="id")
        return to_connection(rows[0])

    async def patch_connection(self, connection_id: str, patch: ConnectionPatch) -> Connection:
        """Locks: the connection's key, then its roles and records as a create does."""
        return await connection_writes.patch_connection(self._write, connection_id, patch)

    async def delete_connection(self, connection_id: str) -> None:
        """Locks the key before reading the edges (none is left behind by a racing PATCH)."""
        await connection_writes.delete_connection(self._write, connection_id)

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


async def _role_props(tx: Tx, role_id: str) -> dict[str, Any]:
    row = await (await tx.run(cypher.load("role_get"), id=role_id)).single(strict=True)
    return dict(row["role"])


def _record_props(body: RecordBody) -> dict[str, Any]:
    return {**body.attributes, "type": body.type, "name": body.name}
