"""`graphsvc check`: audit that every connection is whole, and repair what can be repaired.

A connection is whole when its key node, both records and exactly its two edges exist, the edges'
types follow the roles, and both carry the same properties. The API never leaves anything else
behind (every write is one transaction); the audit finds what other writers, crashes of tools
outside graphsvc, or hand edits in the Browser may have left.

Repair rebuilds a broken connection from its surviving edge (side 1 first) in one transaction,
and removes connections whose records are gone. It does not guess: unknown roles and one-sided
reciprocal roles are reported for a person to decide.
"""

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from neo4j import AsyncDriver, AsyncManagedTransaction

from graphsvc import cypher
from graphsvc.graph.convert import native
from graphsvc.identifiers import NO_ROLE_TYPE

PAGE = 20_000
REPORT_LIMIT = 1_000


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
        return Counter(
            p.what.split(" ")[0] if p.what.startswith("unknown role") else p.what
            for p in self.problems
        )

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
    for problem in report.problems:
        repairable = problem.connection_id is not None and not problem.what.startswith(
            "unknown role"
        )
        if repairable and problem.connection_id not in targets:
            targets[problem.connection_id] = problem  # type: ignore[index]
        elif not repairable:
            report.left.append(problem)
    async with driver.session(database=database) as session:
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


async def _rebuild(tx: AsyncManagedTransaction, /, connection_id: str, problem: Problem) -> str:
    ends = (problem.source_id, problem.target_id)
    if ends[0] is None:
        key = await (await tx.run(cypher.load("repair_key_records"), id=connection_id)).single()
        if key is None:
            return "gone"
        ends = (key["record1_id"], key["record2_id"])
    params: dict[str, Any] = {"id": connection_id, "source_id": ends[0], "target_id": ends[1]}
    rows = await (await tx.run(cypher.load("repair_connection_read"), **params)).data()
    edges = sorted((native(r["edge"]) for r in rows), key=lambda e: e.get("side", 3))
    edge = edges[0] if edges else {}
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
    for role_key in ("record2_role_id", "record1_role_id"):
        if edge.get(role_key) is None:
            types.append(NO_ROLE_TYPE)
            continue
        role = await (await tx.run(cypher.load("role_get"), id=edge[role_key])).single()
        if role is None:
            return f"unknown role {edge[role_key]}: left as it is"
        types.append(role["role"]["relationship_type"])
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
            props=props,
        )
    ).consume()
    return "rebuilt"
