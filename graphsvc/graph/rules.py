"""The rules a connection or role must satisfy, checked inside the writing transaction.

Each function takes the open transaction, so a check and the write it guards see the same state;
a broken rule raises a domain error, which aborts the transaction and writes nothing.
"""

from typing import Any

from neo4j import AsyncManagedTransaction

from graphsvc import cypher
from graphsvc.errors import ConflictError, InvalidError, NotFoundError
from graphsvc.identifiers import NO_ROLE_TYPE, relationship_type

Tx = AsyncManagedTransaction


def relationship_type_of(name: str) -> str:
    try:
        return relationship_type(name)
    except ValueError as exc:
        raise InvalidError(f"role name '{name[:100]}': {exc}", field="name") from None


async def check_role_type_free(tx: Tx, rel_type: str, role_id: str) -> None:
    rows = await (await tx.run(cypher.load("roles_list"))).data()
    for row in rows:
        if row["role"]["relationship_type"] == rel_type and row["role"]["id"] != role_id:
            raise ConflictError(
                f"role '{row['role']['name']}' ({row['role']['id']}) already has relationship type "
                f"{rel_type}; role names must differ in more than case and punctuation",
                field="name",
            )


async def get_role(tx: Tx, role_id: str) -> dict[str, Any]:
    row = await (await tx.run(cypher.load("role_get"), id=role_id)).single()
    if row is None:
        raise NotFoundError(f"connection role '{role_id}' not found", field="id")
    return dict(row["role"])


async def set_reciprocal(tx: Tx, role_id: str, reciprocal_id: str | None) -> None:
    if reciprocal_id and reciprocal_id != role_id:
        partner = await (await tx.run(cypher.load("role_get"), id=reciprocal_id)).single()
        if partner is None:
            raise NotFoundError(
                f"connection role '{reciprocal_id}' not found", field="reciprocal_role_id"
            )
    await (
        await tx.run(cypher.load("role_set_reciprocal"), id=role_id, reciprocal_id=reciprocal_id)
    ).consume()


async def resolve_roles(tx: Tx, wanted: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Roles by id or name, keyed by the field that asked; 404 naming the field otherwise."""
    keys = list(dict.fromkeys(wanted.values()))
    rows = await (await tx.run(cypher.load("roles_resolve"), keys=keys)).data()
    found = {row["key"]: row["role"] for row in rows}
    resolved = {}
    for field, key in wanted.items():
        if not found.get(key):
            raise NotFoundError(f"connection role '{key}' not found", field=field)
        resolved[field] = found[key]
    return resolved


async def resolve_sides(
    tx: Tx, key1: str | None, key2: str | None, field1: str, field2: str, defaults: bool = True
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """Both sides' roles; with `defaults`, a missing side takes the other side's reciprocal."""
    wanted = {f: k for f, k in ((field1, key1), (field2, key2)) if k}
    roles = await resolve_roles(tx, wanted) if wanted else {}
    role1, role2 = roles.get(field1), roles.get(field2)
    if defaults and (role1 is None) != (role2 is None):
        given = role1 or role2
        assert given is not None
        reciprocal_id = given.get("reciprocal_role_id")
        if reciprocal_id:
            other = (await resolve_roles(tx, {"reciprocal": reciprocal_id}))["reciprocal"]
            role1, role2 = (other, role2) if role1 is None else (role1, other)
    return role1, role2


async def lock_records(tx: Tx, record1_id: str, record2_id: str) -> dict[str, dict[str, Any]]:
    ids = sorted({record1_id, record2_id})
    rows = await (await tx.run(cypher.load("connection_lock_records"), ids=ids)).data()
    records = {row["id"]: row for row in rows}
    for field, record_id in (("record1_id", record1_id), ("record2_id", record2_id)):
        if record_id not in records:
            raise NotFoundError(f"record '{record_id}' not found", field=field)
    return records


def check_applicable(role: dict[str, Any] | None, record: dict[str, Any], side: str) -> None:
    if role and role.get("record_types") and record["type"] not in role["record_types"]:
        raise InvalidError(
            f"role '{role['name']}' applies to {', '.join(role['record_types'])} records, but "
            f"{side} '{record['id']}' is a {record['type']}",
            field=f"{side}_role_id",
        )


async def check_no_duplicate(
    tx: Tx,
    record1_id: str,
    record2_id: str,
    role1_id: str | None,
    role2_id: str | None,
    exclude: str | None = None,
) -> None:
    row = await (
        await tx.run(
            cypher.load("connection_find_duplicate"),
            record1_id=record1_id,
            record2_id=record2_id,
            record1_role_id=role1_id,
            record2_role_id=role2_id,
            exclude_id=exclude,
        )
    ).single()
    if row:
        raise ConflictError(
            f"an identical active connection '{row['connection_id']}' already links "
            f"'{record1_id}' and '{record2_id}' with these roles",
            connection_id=row["connection_id"],
        )


async def check_no_loop(
    tx: Tx,
    record1_id: str,
    record2_id: str,
    role1: dict[str, Any] | None,
    role2: dict[str, Any] | None,
) -> None:
    """An acyclic role (e.g. Referral) may not close a loop of its own edges."""
    for role, source, target in ((role2, record1_id, record2_id), (role1, record2_id, record1_id)):
        if not role or not role.get("acyclic"):
            continue
        row = await (
            await tx.run(
                cypher.load("connection_find_loop"),
                from_id=source,
                to_id=target,
                relationship_type=role["relationship_type"],
            )
        ).single()
        if row:
            chain = " -> ".join(row["chain"])
            raise ConflictError(
                f"role '{role['name']}' is acyclic and this connection would close a loop: the "
                f"chain {chain} already exists",
                chain=row["chain"],
            )


def id_of(role: dict[str, Any] | None) -> str | None:
    return role["id"] if role else None


def type_of(role: dict[str, Any] | None) -> str:
    return str(role["relationship_type"]) if role else NO_ROLE_TYPE
