"""Neo4j rows to the API's models, and the opaque paging cursors."""

import base64
import binascii
import json
import re
from typing import Any

from graphsvc.errors import InvalidError
from graphsvc.graph.convert import native
from graphsvc.identifiers import ID_PATTERN
from graphsvc.models import Connection, ConnectionSide, Record, Role, RoleRef

RECORD_KEYS = ("id", "type", "name", "created_at", "updated_at")


def encode_cursor(after: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": after}).encode()).decode()


def decode_cursor(cursor: str | None) -> str:
    if not cursor:
        return ""
    try:
        after = json.loads(base64.urlsafe_b64decode(cursor.encode()))["after"]
    except (ValueError, KeyError, TypeError, binascii.Error, RecursionError):
        raise InvalidError("not a cursor this API returned", field="cursor") from None
    # Both cursors page by id, so `after` is an id; anything else (say a lone surrogate, which
    # the driver could not even encode) was not made here.
    if not isinstance(after, str) or not re.fullmatch(ID_PATTERN, after):
        raise InvalidError("not a cursor this API returned", field="cursor")
    return after


def to_record(props: dict[str, Any]) -> Record:
    props = native(props)
    attributes = {k: v for k, v in props.items() if k not in RECORD_KEYS}
    return Record(
        id=props["id"],
        type=props["type"],
        name=props["name"],
        attributes=attributes,
        created_at=props["created_at"],
        updated_at=props["updated_at"],
    )


def to_role(props: dict[str, Any]) -> Role:
    return Role(
        **{k: props.get(k) for k in Role.model_fields}
        | {
            "record_types": props.get("record_types") or [],
            "description": props.get("description") or "",
            "acyclic": bool(props.get("acyclic")),
        }
    )


def role_ref(role: dict[str, Any] | None) -> RoleRef | None:
    # A role deleted while the query read it is a map of nulls (graphsvc.graph.reads.gone).
    return RoleRef(id=role["id"], name=role["name"]) if role and role.get("id") else None


def to_connection(row: dict[str, Any]) -> Connection:
    edge = native(row["edge"])
    return Connection(
        id=edge["connection_id"],
        record1=ConnectionSide(**row["record1"], role=role_ref(row["role1"])),
        record2=ConnectionSide(**row["record2"], role=role_ref(row["role2"])),
        state=edge["state"],
        description=edge.get("description") or "",
        effective_start=edge.get("effective_start"),
        effective_end=edge.get("effective_end"),
        created_at=edge["created_at"],
        updated_at=edge["updated_at"],
    )
