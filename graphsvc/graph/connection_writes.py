"""Connection writes (create, patch, delete): each one transaction that takes the locks of
`graph/locks.py` in their documented order and checks every rule of `graphsvc/rules.py` under
them. `Repository` (graph/repository.py) is their one caller and hands them its writer (a managed
write transaction with the API's time limit, Neo4j's errors mapped to the domain's)."""

import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from neo4j import AsyncManagedTransaction
from neo4j.exceptions import ConstraintError

from graphsvc import cypher, rules
from graphsvc.errors import ConflictError, GraphError, InvalidError, NotFoundError
from graphsvc.graph.convert import native
from graphsvc.graph.locks import (
    error,
    find_duplicate,
    find_loop,
    lock_key,
    lock_records,
    lock_sides,
)
from graphsvc.graph.rows import to_connection
from graphsvc.models import Connection, ConnectionCreate, ConnectionPatch

T = TypeVar("T")
Tx = AsyncManagedTransaction


class Writer(Protocol):
    """Runs one unit of work in a managed write transaction (Repository._write)."""

    async def __call__(self, work: Callable[[Tx], Awaitable[T]]) -> T: ...


async def create_connection(write: Writer, body: ConnectionCreate) -> Connection:
    """Locks: the roles (id order), then both records (id order); every rule is checked
    under them and the connection returned from the same transaction."""
    connection_id = body.id or str(uuid.uuid4())

    async def work(tx: Tx) -> dict[str, Any]:
        role1, role2 = await lock_sides(
            tx,
            body.record1_role_id or body.record1_role,
            body.record2_role_id or body.record2_role,
            "record1_role_id" if body.record1_role_id else "record1_role",
            "record2_role_id" if body.record2_role_id else "record2_role",
        )
        return await _write_connection(
            tx,
            connection_id,
            body.record1_id,
            body.record2_id,
            role1,
            role2,
            {
                "state": body.state,
                "description": body.description,
                "effective_start": body.effective_start,
                "effective_end": body.effective_end,
            },
            create=True,
        )

    try:
        return to_connection(await write(work))
    except ConstraintError as exc:
        raise _constraint(exc, connection_id) from None


def _constraint(exc: ConstraintError, connection_id: str) -> GraphError:
    """A uniqueness constraint Neo4j enforced: the id, or an identical active connection
    written by a writer that does not lock records (a batch)."""
    if "active_key" not in (exc.message or ""):
        return ConflictError(f"connection '{connection_id}' already exists", field="id")
    return ConflictError(
        "an identical active connection already links these records with these roles"
    )


async def patch_connection(write: Writer, connection_id: str, patch: ConnectionPatch) -> Connection:
    """Locks: the connection's key (so a racing DELETE is before: 404, or after), then its
    roles and records as a create does; returns the connection from the same transaction."""
    fields = patch.model_fields_set

    async def work(tx: Tx) -> dict[str, Any]:
        await lock_key(tx, connection_id)
        edges = await (await tx.run(cypher.load("connection_edges"), id=connection_id)).data()
        side1 = [e["edge"] for e in edges if e["edge"]["side"] == 1]
        if not side1:
            raise error(rules.violation(rules.Code.HALF, "id", connection_id=connection_id))
        edge = native(side1[0])
        keys1 = {"record1_role_id", "record1_role"} & fields
        keys2 = {"record2_role_id", "record2_role"} & fields
        role1, role2 = await lock_sides(
            tx,
            (patch.record1_role_id or patch.record1_role) if keys1 else edge.get("record1_role_id"),
            (patch.record2_role_id or patch.record2_role) if keys2 else edge.get("record2_role_id"),
            "record1_role_id",
            "record2_role_id",
            defaults=False,
        )
        start = (
            patch.effective_start if "effective_start" in fields else edge.get("effective_start")
        )
        end = patch.effective_end if "effective_end" in fields else edge.get("effective_end")
        if start and end and end < start:
            raise InvalidError(
                "effective_end must not be before effective_start", field="effective_end"
            )
        props: dict[str, Any] = {
            "state": patch.state or edge["state"],
            "effective_start": start,
            "effective_end": end,
        }
        if patch.description is not None:
            props["description"] = patch.description
        return await _write_connection(
            tx,
            connection_id,
            edge["record1_id"],
            edge["record2_id"],
            role1,
            role2,
            props,
            create=False,
        )

    try:
        return to_connection(await write(work))
    except ConstraintError as exc:
        raise _constraint(exc, connection_id) from None


async def delete_connection(write: Writer, connection_id: str) -> None:
    """Lock the key before reading the edges: a PATCH that replaced them meanwhile has
    committed, so the edges read are the current ones (none is left behind)."""

    async def work(tx: Tx) -> bool:
        try:
            await lock_key(tx, connection_id)
        except NotFoundError:
            return False
        row = await (await tx.run(cypher.load("connection_delete"), id=connection_id)).single()
        return row is not None

    if not await write(work):
        raise NotFoundError(f"connection '{connection_id}' not found", field="id")


async def _write_connection(
    tx: Tx,
    connection_id: str,
    record1_id: str,
    record2_id: str,
    role1: rules.Role | None,
    role2: rules.Role | None,
    props: dict[str, Any],
    create: bool,
) -> dict[str, Any]:
    """Lock both records, check every rule under the locks held, write, return the row."""
    records = await lock_records(tx, record1_id, record2_id)
    broken = rules.connection(
        records.get(record1_id), records.get(record2_id), role1, role2, record1_id, record2_id
    )
    role1_id, role2_id = rules.id_of(role1), rules.id_of(role2)
    active_key = rules.active_key(record1_id, record2_id, role1_id, role2_id, props["state"])
    exclude = None if create else connection_id
    if broken is None:
        broken = await find_duplicate(tx, record1_id, record2_id, active_key, exclude)
    if broken is None:
        broken = await find_loop(tx, record1_id, record2_id, role1, role2)
    if broken is not None:
        raise error(broken)
    params: dict[str, Any] = {
        "id": connection_id,
        "type_to_record2": rules.type_of(role2),
        "type_to_record1": rules.type_of(role1),
        "active_key": rules.active_key(record1_id, record2_id, role1_id, role2_id, props["state"]),
        "props": props | {"record1_role_id": role1_id, "record2_role_id": role2_id},
    }
    if create:
        query = cypher.load("connection_create")
        params |= {"record1_id": record1_id, "record2_id": record2_id}
    else:
        query = cypher.load("connection_update")
    row = await (await tx.run(query, **params)).single(strict=True)
    return {
        "edge": row["edge"],
        "record1": row["record1"],
        "record2": row["record2"],
        "role1": {"id": role1.id, "name": role1.name} if role1 else None,
        "role2": {"id": role2.id, "name": role2.name} if role2 else None,
    }
