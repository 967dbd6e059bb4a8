"""The connections checked as the online loader checks them, in file order, streamed.

The checks and their order are the batch path's (`graph/batch.py` + its statement): the model,
an id, the roles (resolved once per distinct pair of role references: there are few), the rules
that need only the two records (`rules.connection`), then the rules that need the connections
before it: an identical active connection (`rules.active_key`), a loop through an acyclic role
(`rules.loop`). A rejected row leaves no trace in the indexes, as a failed row in a batch.
"""

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from graphsvc import loader, rules
from graphsvc.graph.batch import validation_message
from graphsvc.graph.roles import RoleIndex
from graphsvc.models import ConnectionCreate
from graphsvc.offline_import.summary import ImportSummary, OfflineImportError, Progress
from graphsvc.offline_import.tables import Edges, Interned, IntMap
from graphsvc.offline_import.validate import EVERY, Checker, Records, invalid, source_rows

# id, record1_id, record2_id, type1, type2, record1_role_id, record2_role_id, state,
# description, effective_start, effective_end, active_key
ValidConnection = tuple[
    str, str, str, str, str, str | None, str | None, str, str, date | None, date | None, str | None
]
Sides = tuple[rules.Role | None, rules.Role | None] | str  # the roles, or why not


def _sides(body: ConnectionCreate, roles: RoleIndex) -> Sides:
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
        return v.message
    broken = rules.shape(role1, role2)
    return broken.message if broken else (role1, role2)


def connections(
    path: Path, roles: RoleIndex, records: Records, summary: ImportSummary, progress: Progress
) -> Iterator[ValidConnection]:
    """The valid connections, streamed; a repeated id is an error once the file is read."""
    rows = source_rows(path, "connections")[1]
    total = loader.count_rows(path, loader.detect_format(path))
    check = Checker(path, "connections", summary)
    expected = total or 0
    ids = Interned(expected)
    active = IntMap(expected)  # active key (as record and role ordinals) -> connection ordinal
    role_numbers = {role_id: n for n, role_id in enumerate(roles.by_id, start=1)}
    ends = len(records.ids) * (len(role_numbers) + 1)
    if ends * ends >= 1 << 63:
        raise OfflineImportError("too many records for one import (the keys need 64 bits)")
    acyclic = {r.relationship_type for r in roles.by_id.values() if r.acyclic}
    kinds = {rel_type: n for n, rel_type in enumerate(sorted(acyclic))}
    loops = Edges(len(records.ids))
    resolved: dict[tuple[Any, ...], Sides] = {}
    repeated: list[str] = []
    done = 0
    try:
        for number, line, data, source in rows:
            done += 1
            if done % EVERY == 0:
                progress("connections", done, total)
            try:
                body = ConnectionCreate.model_validate(data)
            except ValidationError as exc:
                check.reject(number, line, data, source, invalid(data) or validation_message(exc))
                continue
            cid = body.id
            if cid is None:
                error = "id: required in a batch (connections are upserted by id)"
                check.reject(number, line, data, source, error)
                continue
            refs = (
                body.record1_role_id,
                body.record1_role,
                body.record2_role_id,
                body.record2_role,
            )
            sides = resolved.get(refs)
            if sides is None:
                sides = resolved[refs] = _sides(body, roles)
            if isinstance(sides, str):
                check.reject(number, line, data, source, sides)
                continue
            if ids.find(cid) >= 0:
                repeated.append(f"{cid} ({path.name} line {line})")
                continue
            role1, role2 = sides
            a, b = body.record1_id, body.record2_id
            o1, record1 = records.record(a)
            o2, record2 = records.record(b)
            broken = rules.connection(record1, record2, role1, role2, a, b)
            if broken:
                check.reject(number, line, data, source, broken.message)
                continue
            role1_id, role2_id = rules.id_of(role1), rules.id_of(role2)
            key = rules.active_key(a, b, role1_id, role2_id, body.state)
            packed = -1
            if key is not None:
                end1 = o1 * (len(role_numbers) + 1) + role_numbers.get(role1_id or "", 0)
                end2 = o2 * (len(role_numbers) + 1) + role_numbers.get(role2_id or "", 0)
                packed = min(end1, end2) * ends + max(end1, end2)
                earlier = active.get(packed)
                if earlier >= 0:
                    error = rules.duplicate(ids.text(earlier), a, b).message
                    check.reject(number, line, data, source, error)
                    continue
            type1, type2 = rules.type_of(role1), rules.type_of(role2)
            loop = None
            for rel_type, role, start, end in ((type2, role2, o2, o1), (type1, role1, o1, o2)):
                if role and role.acyclic:
                    chain = loops.path(kinds[rel_type], start, end)
                    if chain:
                        loop = rules.loop(role, [records.ids.text(o) for o in chain]).message
                        break
            if loop is not None:
                check.reject(number, line, data, source, loop)
                continue
            ordinal = ids.add_new(cid)
            if packed >= 0:
                active.put(packed, ordinal)
            if type2 in kinds:
                loops.add(kinds[type2], o1, o2)
            if type1 in kinds:
                loops.add(kinds[type1], o2, o1)
            yield (
                cid, a, b, type1, type2, role1_id, role2_id, body.state, body.description,
                body.effective_start, body.effective_end, key,
            )  # fmt: skip
    finally:
        check.close()
    progress("connections", done, done)
    summary.connections = len(ids)
    if repeated:
        raise OfflineImportError(
            f"{len(repeated)} repeated connection id(s) in {path.name}, e.g. "
            f"{', '.join(repeated[:5])}; the import needs each id once"
        )
