"""The rules of a connection, once, for every write path (API, batch, loader, offline import).

Pure functions over typed roles and records return violation codes; `MESSAGES` is the one table
that turns a code into the text users see, and `STATUS` the HTTP status it maps to. The rules
that need the graph (a duplicate, a loop of an acyclic role) are found by Cypher or by the offline
import's in-memory index; they report the same codes with the same context, so every path says
the same thing. The batch statement (`cypher/service/batch_connections_upsert.cypher`) returns codes too.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from graphsvc.identifiers import NO_ROLE_TYPE


@dataclass(frozen=True)
class Role:
    id: str
    name: str
    relationship_type: str
    record_types: tuple[str, ...] = ()
    acyclic: bool = False
    reciprocal_role_id: str | None = None

    @classmethod
    def of(cls, props: Mapping[str, Any]) -> "Role":
        return cls(
            id=props["id"],
            name=props["name"],
            relationship_type=props["relationship_type"],
            record_types=tuple(props.get("record_types") or ()),
            acyclic=bool(props.get("acyclic")),
            reciprocal_role_id=props.get("reciprocal_role_id"),
        )


@dataclass(frozen=True)
class Record:
    id: str
    type: str


class Code(StrEnum):
    RECORD_MISSING = "record_missing"
    ROLE_MISSING = "role_missing"
    SELF = "self"
    ROLE_TYPES = "role_types"
    ACYCLIC_BOTH_SIDES = "acyclic_both_sides"
    DUPLICATE = "duplicate"
    LOOP = "loop"
    RECORDS_CHANGED = "records_changed"
    HALF = "half"
    TYPE_IN_USE = "type_in_use"
    TYPES_IN_USE = "types_in_use"
    ACYCLIC_IN_USE = "acyclic_in_use"
    ROLE_IN_USE = "role_in_use"
    ROLE_TYPE_TAKEN = "role_type_taken"


MESSAGES: dict[Code, str] = {
    Code.RECORD_MISSING: "record '{record_id}' not found ({where})",
    Code.ROLE_MISSING: "connection role '{role_id}' not found ({where})",
    Code.SELF: "a record cannot be connected to itself ('{record_id}')",
    Code.ROLE_TYPES: "role '{role}' applies to {types} records, but {side} '{record_id}' is a "
    "{record_type}",
    Code.ACYCLIC_BOTH_SIDES: "role '{role}' is acyclic and cannot be on both sides of one "
    "connection: it would be a loop of its own",
    Code.DUPLICATE: "an identical active connection '{duplicate}' already links '{record1_id}' "
    "and '{record2_id}' with these roles",
    Code.LOOP: "role '{role}' is acyclic and this connection would close a loop: the chain "
    "{chain} already exists",
    Code.RECORDS_CHANGED: "connection '{connection_id}' already links '{old1}' and '{old2}'; a "
    "connection's records cannot change",
    Code.HALF: "connection '{connection_id}' is missing an edge; run `graphsvc check --repair`",
    Code.TYPE_IN_USE: "record '{record_id}' cannot become a {record_type}: connection "
    "'{connection_id}' gives it role '{role}', which applies to {types} records",
    Code.TYPES_IN_USE: "role '{role}' cannot be narrowed to {types} records: connection "
    "'{connection_id}' gives it to '{record_id}', a {record_type}",
    Code.ACYCLIC_IN_USE: "role '{role}' cannot become acyclic: its connections already form the "
    "loop {chain}",
    Code.ROLE_IN_USE: "connection role '{role_id}' is used by {connections} connection(s); delete "
    "or change them first",
    Code.ROLE_TYPE_TAKEN: "role '{other}' ({other_id}) already has relationship type {type}; "
    "role names must differ in more than case and punctuation",
}

STATUS: dict[Code, int] = {
    Code.RECORD_MISSING: 404,
    Code.ROLE_MISSING: 404,
    Code.SELF: 422,
    Code.ROLE_TYPES: 422,
    Code.ACYCLIC_BOTH_SIDES: 409,
    Code.DUPLICATE: 409,
    Code.LOOP: 409,
    Code.RECORDS_CHANGED: 409,
    Code.HALF: 409,
    Code.TYPE_IN_USE: 409,
    Code.TYPES_IN_USE: 409,
    Code.ACYCLIC_IN_USE: 409,
    Code.ROLE_IN_USE: 409,
    Code.ROLE_TYPE_TAKEN: 409,
}


@dataclass(frozen=True)
class Violation:
    code: Code
    field: str | None = None
    context: tuple[tuple[str, Any], ...] = ()

    @property
    def message(self) -> str:
        ctx = dict(self.context)
        if isinstance(ctx.get("chain"), tuple):
            ctx["chain"] = chain_text(ctx["chain"])
        return MESSAGES[self.code].format(**ctx)

    @property
    def status(self) -> int:
        return STATUS[self.code]

    def extra(self) -> dict[str, Any]:
        ctx = dict(self.context)
        if isinstance(ctx.get("chain"), tuple):
            ctx["chain"] = list(ctx["chain"])
        return {k: ctx[k] for k in ("connection_id", "chain", "connections") if k in ctx} | (
            {"connection_id": ctx["duplicate"]} if "duplicate" in ctx else {}
        )


def violation(code: Code | str, field: str | None = None, **context: Any) -> Violation:
    return Violation(Code(code), field, tuple(sorted(context.items())))


def type_of(role: Role | None) -> str:
    return role.relationship_type if role else NO_ROLE_TYPE


def id_of(role: Role | None) -> str | None:
    return role.id if role else None


def chain_text(chain: Iterable[str]) -> str:
    return " -> ".join(chain)


def applies(role: Role | None, record: Record, side: str) -> Violation | None:
    """A role with `record_types` only describes records of those types."""
    if role and role.record_types and record.type not in role.record_types:
        return violation(
            Code.ROLE_TYPES,
            f"{side}_role_id",
            role=role.name,
            types=", ".join(role.record_types),
            side=side,
            record_id=record.id,
            record_type=record.type,
        )
    return None


def shape(role1: Role | None, role2: Role | None) -> Violation | None:
    """What a connection's roles alone forbid: an acyclic type on both of its edges."""
    if role1 and role2 and role1.acyclic and role1.relationship_type == role2.relationship_type:
        return violation(Code.ACYCLIC_BOTH_SIDES, "record1_role_id", role=role1.name)
    if role1 and role2 and role2.acyclic and role1.relationship_type == role2.relationship_type:
        return violation(Code.ACYCLIC_BOTH_SIDES, "record2_role_id", role=role2.name)
    return None


def connection(
    record1: Record | None,
    record2: Record | None,
    role1: Role | None,
    role2: Role | None,
    record1_id: str,
    record2_id: str,
) -> Violation | None:
    """The first rule a connection breaks that needs no other connection, or None."""
    if record1 is None:
        return violation(
            Code.RECORD_MISSING, "record1_id", record_id=record1_id, where="record1_id"
        )
    if record2 is None:
        return violation(
            Code.RECORD_MISSING, "record2_id", record_id=record2_id, where="record2_id"
        )
    if record1.id == record2.id:
        return violation(Code.SELF, "record2_id", record_id=record1.id)
    return (
        applies(role1, record1, "record1")
        or applies(role2, record2, "record2")
        or shape(role1, role2)
    )


def active_key(
    record1_id: str, record2_id: str, role1_id: str | None, role2_id: str | None, state: str
) -> str | None:
    """The same for every active connection between the same records with the same roles, in
    either direction; `ConnectionKey.active_key` is unique, so Neo4j itself refuses a duplicate."""
    if state != "active":
        return None
    one, two = (record1_id, role1_id or ""), (record2_id, role2_id or "")
    if two < one:
        one, two = two, one
    return f"{one[0]}|{one[1]}|{two[0]}|{two[1]}"


def duplicate(connection_id: str, record1_id: str, record2_id: str) -> Violation:
    return violation(
        Code.DUPLICATE,
        None,
        duplicate=connection_id,
        record1_id=record1_id,
        record2_id=record2_id,
    )


def loop(role: Role | str, chain: Iterable[str]) -> Violation:
    name = role.name if isinstance(role, Role) else role
    return violation(Code.LOOP, None, role=name, chain=tuple(chain))
