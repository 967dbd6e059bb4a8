"""`graphsvc check`: audit that every connection is whole, and repair what can be repaired.

A connection is whole when its key node, both records and exactly its two edges exist, the edges'
types follow the roles, and both carry the same properties. The API never leaves anything else
behind (every write is one transaction); the audit finds what other writers, crashes of tools
outside graphsvc, or hand edits in the Browser may have left.

It also finds the broken promises of the rules (graphsvc/rules.py): identical active
connections, loops of acyclic roles, roles on records their `record_types` exclude, edges that
name a role that is gone (dangling), and keys whose `active_key` is stale (written before it
existed).

Repair rebuilds a broken connection from its surviving edge (side 1 first) in one transaction,
removes connections whose records are gone and sets stale `active_key`s. It does not guess:
unknown roles, duplicates, loops, misapplied roles and one-sided reciprocal roles are listed for a
person to decide (which connection of a duplicate or a loop to end is a business decision).
"""

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from neo4j import AsyncDriver, AsyncManagedTransaction
from neo4j.exceptions import ConstraintError

from graphsvc import cypher, rules
from graphsvc.graph.convert import native
from graphsvc.identifiers import NO_ROLE_TYPE

PAGE = 20_000
REPORT_LIMIT = 1_000
# What --repair rebuilds from the surviving edge; ACTIVE_KEY it sets; anything else is listed.
REBUILDABLE = {
    "missing record",
    "no edges",
    "half pair",
    "extra edges",
    "wrong type",
    "properties differ",
    "edge without connection key",
}
ACTIVE_KEY = "active key out of date"
_KINDS = ("unknown role", "role ", "duplicate of", "loop of")


def kind(what: str) -> str:
    """A problem's kind, for the summary counts (its text names the roles and records)."""
    for prefix in _KINDS:
        if what.startswith(prefix):
            return {"role ": "role does not apply"}.get(prefix, prefix.strip())
    return what


@dataclass
class Problem:
    connection_id: str | None
    what: str
    source_id: str | None = None
    target_id: str | None = None


@dataclass
class Report:
    connections_checked: int = 0
    problems: list[Problem] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    left: list[Problem] = field(default_factory=list)

    def counts(self) -> Counter[str]:
        return Counter(kind(p.what) for p in self.problems)

    @property
    def clean(self) -> bool:
        return not self.problems or (not self.left and bool(self.repaired or self.removed))


async def audit(driver: AsyncDriver, database: str) -> Report:
    """Read-only audit of every connection, orphan edge and reciprocal role pair."""
    report = Report()
    after = ""
    async with driver.session(database=database) as session:
        while True:
            rows = await session.execute_read(_read, "check_connections", after=after, limit=PAGE)
            if not rows:
                break
            report.connections_checked += len(rows)
            after = rows[-1]["last_id"]
            report.problems += [
                Problem(r["connection_id"], what) for r in rows for what in r["problems"]
            ]
        for row in await session.execute_read(_read, "check_orphan_edges", limit=REPORT_LIMIT):
            report.problems.append(
                Problem(
                    row["connection_id"],
                    "edge without connection key",
                    row["source_id"],
                    row["target_id"],
                )
            )
        for row in await session.execute_read(_read, "check_duplicates", limit=REPORT_LIMIT):
            first, *others = row["ids"]
            report.problems += [Problem(cid, f"duplicate of {first}") for cid in others]
        for row in await session.execute_read(_read, "check_loops"):
            chain = " -> ".join(row["chain"])
            report.problems.append(
                Problem(row["ids"][-1], f"loop of acyclic role {row['role_id']}: {chain}")
            )
        for row in await session.execute_read(_read, "check_roles"):
            what = f"role {row['role_id']}: reciprocal {row['reciprocal_role_id']} " + (
                "does not exist"
                if row["partner_missing"]
                else f"points to {row['partner_points_to']}"
            )
            report.problems.append(Problem(None, what))
    return report


async def repair(driver: AsyncDriver, database: str, report: Report) -> Report:
    """Rebuild or remove every repairable connection the audit found; the rest is `left`."""
    targets: dict[str, Problem] = {}
    keys: list[str] = []
    for problem in report.problems:
        if problem.connection_id is None or problem.what not in REBUILDABLE | {ACTIVE_KEY}:
            report.left.append(problem)
        elif problem.what == ACTIVE_KEY:
            keys.append(problem.connection_id)
        elif problem.connection_id not in targets:
            targets[problem.connection_id] = problem
    async with driver.session(database=database) as session:
        needs_person = {p.connection_id for p in report.left}
        for connection_id in keys:
            if connection_id in targets or connection_id in needs_person:
                continue  # the rebuild writes it, or a person must decide first
            try:
                await session.execute_write(_set_active_key, connection_id)
                report.repaired.append(connection_id)
            except ConstraintError:
                report.left.append(
                    Problem(
                        connection_id,
                        "active key out of date: an identical active "
                        "connection holds it (a duplicate)",
                    )
                )
        for connection_id, problem in targets.items():
            outcome = await session.execute_write(_rebuild, connection_id, problem)
            if outcome == "rebuilt":
                report.repaired.append(connection_id)
            elif outcome == "removed":
                report.removed.append(connection_id)
            else:
                report.left.append(Problem(connection_id, outcome))
    return report


async def _read(tx: AsyncManagedTransaction, /, name: str, **params: Any) -> list[dict[str, Any]]:
    return await (await tx.run(cypher.load(name), **params)).data()


async def _set_active_key(tx: AsyncManagedTransaction, /, connection_id: str) -> None:
    # The key first, as every writer of a connection locks it: read before it, a PATCH committing
    # meanwhile (say, to inactive) was left with the active key of its old state.
    if await (await tx.run(cypher.load("lock_connection_key"), id=connection_id)).single() is None:
        return
    row = await (await tx.run(cypher.load("connection_get"), id=connection_id)).single()
    if row is None:
        return
    edge = row["edge"]
    key = rules.active_key(
        edge["record1_id"],
        edge["record2_id"],
        edge.get("record1_role_id"),
        edge.get("record2_role_id"),
        edge["state"],
    )
    await (
        await tx.run(cypher.load("repair_active_key"), id=connection_id, active_key=key)
    ).consume()


async def _rebuild(tx: AsyncManagedTransaction, /, connection_id: str, problem: Problem) -> str:
    # Locks in the documented order (README "Locking"): the key (when there is one), the roles, the
    # records; the edges are read under the key's lock: read before it, a PATCH committing
    # meanwhile was undone by a rebuild from the edges as they were before it.
    key = await (await tx.run(cypher.load("lock_connection_key"), id=connection_id)).single()
    ends = (problem.source_id, problem.target_id)
    if ends[0] is None:
        if key is None:
            return "gone"
        ends = (key["record1_id"], key["record2_id"])
    params: dict[str, Any] = {"id": connection_id, "source_id": ends[0], "target_id": ends[1]}
    rows = await (await tx.run(cypher.load("repair_connection_read"), **params)).data()
    edges = sorted((native(r["edge"]) for r in rows), key=lambda e: e.get("side", 3))
    edge = edges[0] if edges else {}
    role_ids = [edge.get(k) for k in ("record2_role_id", "record1_role_id")]
    locked = await (
        await tx.run(cypher.load("lock_roles"), ids=sorted({r for r in role_ids if r}))
    ).data()
    roles = {row["role"]["id"]: row["role"] for row in locked}
    records = await (
        await tx.run(
            cypher.load("connection_lock_records"),
            ids=[edge.get("record1_id"), edge.get("record2_id")],
        )
    ).data()
    if len(records) < 2:  # nothing to rebuild from, or a record is gone: remove every trace
        await (await tx.run(cypher.load("repair_connection_clear"), **params)).consume()
        return "removed"
    types = []
    for role_id in role_ids:
        if role_id is None:
            types.append(NO_ROLE_TYPE)
        elif role_id not in roles:
            return f"unknown role {role_id}: left as it is"
        else:
            types.append(roles[role_id]["relationship_type"])
    await (await tx.run(cypher.load("repair_connection_clear"), **params)).consume()
    props = {
        k: v
        for k, v in edge.items()
        if k not in ("connection_id", "side", "record1_id", "record2_id")
    }
    await (
        await tx.run(
            cypher.load("connection_create"),
            id=connection_id,
            record1_id=edge["record1_id"],
            record2_id=edge["record2_id"],
            type_to_record2=types[0],
            type_to_record1=types[1],
            active_key=rules.active_key(
                edge["record1_id"],
                edge["record2_id"],
                edge.get("record1_role_id"),
                edge.get("record2_role_id"),
                edge.get("state", "active"),
            ),
            props=props,
        )
    ).consume()
    return "rebuilt"
