"""The locks every write takes, in the one order of the README's "Locking" section, and the
reads that must happen under them. Each function runs in the caller's transaction.

Order: connection key (PATCH only) -> roles (id order) -> records (id order). A writer that must
break the order (a record's type change finds new roles after locking) can deadlock; Neo4j
detects it and the driver retries the transaction.
"""

from typing import Any

from neo4j import AsyncManagedTransaction
from neo4j.exceptions import ClientError

from graphsvc import cypher, rules
from graphsvc.errors import (
    ConflictError,
    GraphError,
    InvalidError,
    NotFoundError,
    UnavailableError,
    is_timeout,
)
from graphsvc.graph.handle import live_ids
from graphsvc.identifiers import relationship_type
from graphsvc.rules import Code, Role, Violation

Tx = AsyncManagedTransaction

_ERRORS: dict[int, type[GraphError]] = {404: NotFoundError, 409: ConflictError, 422: InvalidError}


def error(v: Violation) -> GraphError:
    """The domain error (and so the HTTP status) of a broken rule."""
    return _ERRORS[v.status](v.message, field=v.field, **v.extra())


def timed_out(exc: ClientError) -> UnavailableError | None:
    """503 for a transaction Neo4j stopped at its time limit (queued behind locks too long)."""
    if is_timeout(exc.code):  # possibly stopped while waiting for a lock another writer held
        return UnavailableError(
            "the write waited or ran past its time limit and was stopped; retry later"
        )
    return None


def relationship_type_of(name: str) -> str:
    try:
        return relationship_type(name)
    except ValueError as exc:
        raise InvalidError(f"role name '{name[:100]}': {exc}", field="name") from None


async def lock_roles(tx: Tx, ids: set[str]) -> dict[str, Role]:
    rows = await (await tx.run(cypher.load("lock_roles"), ids=sorted(ids))).data()
    return {row["role"]["id"]: Role.of(row["role"]) for row in rows}


async def lock_role(tx: Tx, role_id: str) -> dict[str, Any]:
    rows = await (await tx.run(cypher.load("lock_roles"), ids=[role_id])).data()
    if not rows:
        raise NotFoundError(f"connection role '{role_id}' not found", field="id")
    return dict(rows[0]["role"])


async def resolve_roles(tx: Tx, wanted: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Roles by id or name, keyed by the field that asked (unlocked); 404 naming the field."""
    keys = list(dict.fromkeys(wanted.values()))
    rows = await (await tx.run(cypher.load("roles_resolve"), keys=keys)).data()
    found = {row["key"]: row["role"] for row in rows}
    resolved = {}
    for field, key in wanted.items():
        if not found.get(key):
            raise error(rules.violation(Code.ROLE_MISSING, field, role_id=key, where=field))
        resolved[field] = found[key]
    return resolved


async def lock_sides(
    tx: Tx, key1: str | None, key2: str | None, field1: str, field2: str, defaults: bool = True
) -> tuple[Role | None, Role | None]:
    """Both sides' roles, locked and read once locked; with `defaults` a missing side takes the
    other side's reciprocal."""
    wanted = {f: k for f, k in ((field1, key1), (field2, key2)) if k}
    found = await resolve_roles(tx, wanted) if wanted else {}
    ids = {field: props["id"] for field, props in found.items()}
    if defaults and len(ids) == 1:
        given = next(iter(found.values()))
        missing = field1 if field2 in ids else field2
        if given.get("reciprocal_role_id"):
            ids[missing] = given["reciprocal_role_id"]
    locked = await lock_roles(tx, set(ids.values()))
    sides: list[Role | None] = []
    for field in (field1, field2):
        role_id = ids.get(field)
        if role_id is not None and role_id not in locked:  # deleted while we waited
            raise error(rules.violation(Code.ROLE_MISSING, field, role_id=role_id, where=field))
        sides.append(locked[role_id] if role_id is not None else None)
    return sides[0], sides[1]


async def lock_records(tx: Tx, *ids: str) -> dict[str, rules.Record]:
    rows = await (await tx.run(cypher.load("connection_lock_records"), ids=sorted(set(ids)))).data()
    return {row["id"]: rules.Record(row["id"], row["type"]) for row in rows}


async def lock_key(tx: Tx, connection_id: str) -> dict[str, Any]:
    row = await (await tx.run(cypher.load("lock_connection_key"), id=connection_id)).single()
    if row is None:
        raise NotFoundError(f"connection '{connection_id}' not found", field="id")
    return dict(row)


async def lock_record(tx: Tx, record_id: str) -> str | None:
    """Lock a record; its type, or None when there is no such record."""
    row = await (await tx.run(cypher.load("record_lock"), id=record_id)).single()
    return None if row is None else str(row["type"])


async def lock_connections_of_type(tx: Tx, rel_type: str) -> None:
    """A rename's locks after its role's: the key of every connection it will retype."""
    await (await tx.run(cypher.load("role_lock_connections"), type=rel_type)).consume()


async def lock_for_type_change(tx: Tx, record_id: str, new_type: str) -> None:
    """Lock every role a record's change to `new_type` could break, then the record; repeat
    until no new role appears (a create or narrowing may commit while we wait)."""
    locked: set[str] = set()
    while True:
        result = await tx.run(cypher.load("roles_for_record_type"), id=record_id, type=new_type)
        ids = {row["id"] async for row in result} - locked
        if not ids:
            break
        await lock_roles(tx, ids)
        locked |= ids
    await lock_record(tx, record_id)
    row = await (
        await tx.run(cypher.load("record_type_conflict"), id=record_id, type=new_type)
    ).single()
    if row:
        raise error(
            rules.violation(
                Code.TYPE_IN_USE,
                "type",
                record_id=record_id,
                record_type=new_type,
                connection_id=row["connection_id"],
                role=row["role"],
                types=", ".join(row["types"]),
            )
        )


async def check_role_type_free(tx: Tx, rel_type: str, role_id: str) -> None:
    rows = await (await tx.run(cypher.load("roles_list"))).data()
    for row in rows:
        # .get: a role deleted by a transaction that committed after this one matched it reads
        # as an empty map (the type's uniqueness constraint still guards the write).
        if row["role"].get("relationship_type") == rel_type and row["role"].get("id") != role_id:
            raise error(
                rules.violation(
                    Code.ROLE_TYPE_TAKEN,
                    "name",
                    other=row["role"]["name"],
                    other_id=row["role"]["id"],
                    type=rel_type,
                )
            )


async def check_role_change(tx: Tx, current: dict[str, Any], props: dict[str, Any]) -> None:
    """A role's new record_types or acyclic flag must hold for the connections it already has."""
    rel_type = current["relationship_type"]
    types = props.get("record_types")
    if types:
        row = await (
            await tx.run(
                cypher.load("role_types_conflict"), relationship_type=rel_type, types=types
            )
        ).single()
        if row:
            raise error(
                rules.violation(
                    Code.TYPES_IN_USE,
                    "record_types",
                    role=current["name"],
                    types=", ".join(types),
                    connection_id=row["connection_id"],
                    record_id=row["record_id"],
                    record_type=row["record_type"],
                )
            )
    if props.get("acyclic") and not current.get("acyclic"):
        result = await tx.run(cypher.load("role_find_loop"), relationship_type=rel_type)
        loop = await result.single()
        if loop:
            raise error(
                rules.violation(
                    Code.ACYCLIC_IN_USE,
                    "acyclic",
                    role=current["name"],
                    chain=tuple(live_ids(loop["chain"])),
                )
            )


async def set_reciprocal(tx: Tx, role_id: str, reciprocal_id: str | None) -> None:
    """Make two roles each other's reciprocal (or clear it). The role, its new partner (404 when
    gone) and the former partners of both are locked before the statement reads who points to
    whom: unlocked, two roles claiming one partner at once each released nobody, and the partner
    pointed back at one of them only (tests/graph/test_races.py)."""
    ids = {role_id} | ({reciprocal_id} if reciprocal_id else set())
    locked = await (await tx.run(cypher.load("lock_roles"), ids=sorted(ids))).data()
    roles = {row["role"]["id"]: row["role"] for row in locked}
    if reciprocal_id and reciprocal_id not in roles:
        raise NotFoundError(
            f"connection role '{reciprocal_id}' not found", field="reciprocal_role_id"
        )
    formers = {r.get("reciprocal_role_id") for r in roles.values()} - ids - {None}
    if formers:  # out of id order, after the two: a deadlock is retried
        await (await tx.run(cypher.load("lock_roles"), ids=sorted(formers))).consume()
    await (
        await tx.run(cypher.load("role_set_reciprocal"), id=role_id, reciprocal_id=reciprocal_id)
    ).consume()


async def find_duplicate(
    tx: Tx, record1_id: str, record2_id: str, active_key: str | None, exclude: str | None = None
) -> Violation | None:
    if active_key is None:
        return None
    row = await (
        await tx.run(
            cypher.load("connection_find_duplicate"), active_key=active_key, exclude_id=exclude
        )
    ).single()
    return rules.duplicate(row["connection_id"], record1_id, record2_id) if row else None


async def find_loop(
    tx: Tx, record1_id: str, record2_id: str, role1: Role | None, role2: Role | None
) -> Violation | None:
    """An acyclic role may not close a loop of its own edges (its writers hold its lock)."""
    for role, source, target in ((role2, record1_id, record2_id), (role1, record2_id, record1_id)):
        if not role or not role.acyclic:
            continue
        row = await (
            await tx.run(
                cypher.load("connection_find_loop"),
                from_id=source,
                to_id=target,
                relationship_type=role.relationship_type,
            )
        ).single()
        if row:
            return rules.loop(role, live_ids(row["chain"]))
    return None
