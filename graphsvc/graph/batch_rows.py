"""The batch path's rows: each raw row validated with the single-item API's models and turned
into the parameters of the batch statements (roles resolved from one `RoleIndex`), and the rule
codes those statements return turned into messages from the rules' one table."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from graphsvc import rules
from graphsvc.graph.roles import RoleIndex
from graphsvc.identifiers import type_label
from graphsvc.models import BatchFailure, ConnectionCreate, RecordCreate

MAX_BATCH_ROWS = 10_000
Item = tuple[int, Any]  # (index the caller reports failures by, the raw row)


def validation_message(exc: ValidationError) -> str:
    """`field: reason; ...` for a row that failed its model."""
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "row"
        parts.append(f"{loc}: {str(err['msg']).removeprefix('Value error, ')}")
    return "; ".join(parts)


def failure(index: int, raw: Any, error: str) -> BatchFailure:
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
    labels: dict[str, str] = {}  # a batch has few types
    for index, raw in items:
        try:
            body = RecordCreate.model_validate(raw)
        except ValidationError as exc:
            out.failed.append(failure(index, raw, validation_message(exc)))
            continue
        if body.id is None:
            out.failed.append(failure(index, raw, "id: required in a batch (upserts are by id)"))
            continue
        props = {**body.attributes, "type": body.type, "name": body.name}
        out.rows.append(
            {
                "index": index,
                "id": body.id,
                "label": labels.get(body.type)
                or labels.setdefault(body.type, type_label(body.type)),
                "props": props,
            }
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
            out.failed.append(failure(index, raw, validation_message(exc)))
            continue
        if body.id is None:
            out.failed.append(
                failure(index, raw, "id: required in a batch (connections are upserted by id)")
            )
            continue
        try:
            out.rows.append(_connection_row(index, body, roles))
        except ValueError as exc:
            out.failed.append(failure(index, raw, str(exc)))
            continue
        out.items.append((index, raw))
    return out


def roles_used(prepared: Prepared) -> set[str]:
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


# -- which rows need the per-row upsert ---------------------------------------------------------
Row = dict[str, Any]


def plan_records(rows: list[Row], new: set[int], changed: set[int]) -> tuple[list[Row], list[Row]]:
    """(rows to create with a plain CREATE, rows for the per-row upsert); the rest is unchanged.
    Only the first row of an id can be created plainly: a repeat must see the rows before it."""
    fast: list[Row] = []
    slow: list[Row] = []
    seen: set[str] = set()
    for row in rows:
        if row["id"] in seen or row["index"] in changed:
            slow.append(row)
        elif row["index"] in new:
            fast.append(row)
        seen.add(row["id"])
    return fast, slow


def plan_connections(rows: list[Row]) -> list[Row]:
    """The rows batch_connections_create may create against the graph as it was before the
    batch, in row order: no earlier row of the batch has the row's id or active_key (the row
    must see that row's write), and no acyclic side's new edge points at a record that any row
    of the batch gives an edge of that type (such an edge might close a loop with the batch's
    other edges, which only the per-row check sees). A plainly created acyclic edge points at a
    record with no edge of its type leaving it, so no loop can ever run through it, whatever
    order the rows are written in. Every other row (and a candidate the statement did not
    create) takes the per-row upsert."""
    sources: dict[str, set[str]] = {}
    for row in rows:
        sources.setdefault(row["type2"], set()).add(row["record1_id"])
        sources.setdefault(row["type1"], set()).add(row["record2_id"])
    plain: list[Row] = []
    ids: set[str] = set()
    keys: set[str] = set()
    for row in rows:
        key = row["active_key"]
        if (
            row["id"] not in ids
            and key not in keys
            and not (row["acyclic2"] and row["record2_id"] in sources[row["type2"]])
            and not (row["acyclic1"] and row["record1_id"] in sources[row["type1"]])
        ):
            plain.append(row)
        ids.add(row["id"])
        if key is not None:
            keys.add(key)
    return plain
