"""The roles file, read as the online loader reads it: the few roles, resolved in memory as
`roles_list` would return them after `graphsvc load roles`; written after the import through
the loader's own `upsert_roles`."""

import uuid
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from graphsvc import rules
from graphsvc.graph.batch import validation_message
from graphsvc.graph.roles import RoleIndex
from graphsvc.identifiers import relationship_type
from graphsvc.models import RoleCreate
from graphsvc.offline_import.summary import ImportSummary
from graphsvc.offline_import.validate import Checker, invalid, source_rows


def read_roles(
    path: Path, check: Checker, summary: ImportSummary
) -> tuple[RoleIndex, list[tuple[int, dict[str, Any]]]]:
    """The roles the online loader would create, as `roles_list` would return them afterwards."""
    roles: dict[str, dict[str, Any]] = {}
    by_type: dict[str, str] = {}
    valid: list[tuple[int, dict[str, Any]]] = []
    pending: list[tuple[str, str | None]] = []
    for number, line, data, source in source_rows(path, "roles")[1]:
        try:
            body = RoleCreate.model_validate(data)
            rel_type = relationship_type(body.name)
        except ValidationError as exc:
            check.reject(number, line, source, invalid(data) or validation_message(exc))
            continue
        except ValueError as exc:
            check.reject(number, line, source, f"role name '{body.name[:100]}': {exc}")
            continue
        role_id = body.id or str(uuid.uuid4())
        if by_type.get(rel_type, role_id) != role_id:
            other = by_type[rel_type]
            error = rules.violation(
                rules.Code.ROLE_TYPE_TAKEN, "name", other=roles[other]["name"], other_id=other,
                type=rel_type,
            ).message  # fmt: skip
            check.reject(number, line, source, error)
            continue
        by_type[rel_type] = role_id
        roles[role_id] = body.model_dump() | {
            "id": role_id,
            "relationship_type": rel_type,
            "reciprocal_role_id": None,
        }
        valid.append((number, dict(data) | {"id": role_id}))
        pending.append((role_id, body.reciprocal_role_id))
    # Reciprocity as `role_set_reciprocal` sets it: symmetric, former partners released.
    for role_id, partner in pending:
        if partner and partner != role_id and partner not in roles:
            continue  # upsert_roles reports it
        for other_role in roles.values():
            if other_role["reciprocal_role_id"] in (role_id, partner):
                other_role["reciprocal_role_id"] = None
        roles[role_id]["reciprocal_role_id"] = partner
        if partner:
            roles[partner]["reciprocal_role_id"] = role_id
    summary.roles = len(roles)
    return RoleIndex(roles.values()), valid
