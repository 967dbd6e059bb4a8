"""The connections checked as the online loader checks them, in file order, streamed.

The checks and their order are the batch path's (`graph/batch.py` + its statement): the model,
an id, the roles (resolved once per distinct pair of role references: there are few), the rules
that need only the two records (`rules.connection`), then the rules that need the connections
before it: an identical active connection (`rules.active_key`), a loop through an acyclic role
(`rules.loop`). A rejected row leaves no trace in the indexes, as a failed row in a batch.
"""

from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

from graphsvc import loader, rules
from graphsvc.graph.roles import RoleIndex
from graphsvc.offline_import.summary import ImportSummary, OfflineImportError, Progress
from graphsvc.offline_import.tables import Edges, Interned, IntMap
from graphsvc.offline_import.validate import EVERY, Checked, Checker, Records

# id, record1_id, record2_id, type1, type2, record1_role_id, record2_role_id, state,
# description, effective_start, effective_end, active_key
ValidConnection = tuple[
    str, str, str, str, str, str | None, str | None, str, str, date | None, date | None, str | None
]
Sides = tuple[rules.Role | None, rules.Role | None] | str  # the roles, or why not


class Resolved(NamedTuple):
    """A pair of roles with what each row needs of them, worked out once per distinct pair."""

    role1: rules.Role | None
    role2: rules.Role | None
    id1: str | None
    id2: str | None
    type1: str
    type2: str
    number1: int  # the role's number in the packed active key; 0 = no role
    number2: int


def _sides(refs: tuple[str | None, ...], roles: RoleIndex) -> Sides:
    """`refs`: record1_role_id, record1_role, record2_role_id, record2_role, as in the row."""
    id1, name1, id2, name2 = refs
    try:
        role1, role2 = roles.sides(
            id1 or name1,
            id2 or name2,
            "record1_role_id" if id1 else "record1_role",
            "record2_role_id" if id2 else "record2_role",
        )
    except LookupError as exc:
        field_name, key = exc.args
        v = rules.violation(rules.Code.ROLE_MISSING, field_name, role_id=key, where=field_name)
        return v.message
    broken = rules.shape(role1, role2)
    return broken.message if broken else (role1, role2)


def _resolve(
    refs: tuple[str | None, ...], roles: RoleIndex, numbers: dict[str, int]
) -> Resolved | str:
    sides = _sides(refs, roles)
    if isinstance(sides, str):
        return sides
    role1, role2 = sides
    id1, id2 = rules.id_of(role1), rules.id_of(role2)
    return Resolved(
        role1, role2, id1, id2, rules.type_of(role1), rules.type_of(role2),
        numbers.get(id1 or "", 0), numbers.get(id2 or "", 0),
    )  # fmt: skip


def _loop(
    sides: Resolved, kinds: dict[str, int], loops: Edges, o1: int, o2: int, records: Records
) -> str | None:
    """Why the connection would close a loop of an acyclic role, if it would."""
    for rel_type, role, start, end in (
        (sides.type2, sides.role2, o2, o1),
        (sides.type1, sides.role1, o1, o2),
    ):
        if role and role.acyclic:
            chain = loops.path(kinds[rel_type], start, end)
            if chain:
                return rules.loop(role, [records.ids.text(o) for o in chain]).message
    return None


def connections(
    path: Path,
    rows: Iterable[Checked],
    roles: RoleIndex,
    records: Records,
    summary: ImportSummary,
    progress: Progress,
) -> Iterator[ValidConnection]:
    """The valid connections, streamed; a repeated id is an error once the file is read.
    `rows`: `model_checked(path, "connections")`, from the helper process."""
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
    resolved: dict[tuple[Any, ...], Resolved | str] = {}
    repeated: list[str] = []
    done = 0
    # bound once: this loop runs per row, millions of times
    find, types, type_names = records.ids.find, records.types, records.type_names
    Record, rule, active_key, reject = (
        rules.Record,
        rules.connection,
        rules.active_key,
        check.reject,
    )
    width = len(role_numbers) + 1
    try:
        for number, line, source, error, fields in rows:
            done += 1
            if done % EVERY == 0:
                progress("connections", done, total)
            if error is not None:
                reject(number, line, source, error)
                continue
            cid, a, b, id1, name1, id2, name2, state, text, start, end = fields or ()
            refs = (id1, name1, id2, name2)
            sides = resolved.get(refs)
            if sides is None:
                sides = resolved[refs] = _resolve(refs, roles, role_numbers)
            if sides.__class__ is str:
                reject(number, line, source, sides)
                continue
            assert isinstance(sides, Resolved)
            if ids.find(cid) >= 0:
                repeated.append(f"{cid} ({path.name} line {line})")
                continue
            o1, o2 = find(a), find(b)
            broken = rule(
                Record(a, type_names[types[o1]]) if o1 >= 0 else None,
                Record(b, type_names[types[o2]]) if o2 >= 0 else None,
                sides.role1,
                sides.role2,
                a,
                b,
            )
            if broken:
                reject(number, line, source, broken.message)
                continue
            key = active_key(a, b, sides.id1, sides.id2, state)
            packed = -1
            if key is not None:
                end1, end2 = o1 * width + sides.number1, o2 * width + sides.number2
                packed = end1 * ends + end2 if end1 < end2 else end2 * ends + end1
                earlier = active.get(packed)
                if earlier >= 0:
                    reject(number, line, source, rules.duplicate(ids.text(earlier), a, b).message)
                    continue
            type1, type2 = sides.type1, sides.type2
            if type1 in kinds or type2 in kinds:
                loop = _loop(sides, kinds, loops, o1, o2, records)
                if loop is not None:
                    reject(number, line, source, loop)
                    continue
                if type2 in kinds:
                    loops.add(kinds[type2], o1, o2)
                if type1 in kinds:
                    loops.add(kinds[type1], o2, o1)
            ordinal = ids.add_new(cid)
            if packed >= 0:
                active.put(packed, ordinal)
            yield (
                cid, a, b, type1, type2, sides.id1, sides.id2, state, text, start, end, key,
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
