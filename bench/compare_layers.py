"""The layers bench/compare.py times below HTTP: PostgreSQL, the raw driver, the repository."""

import time
from typing import Any

from neo4j import READ_ACCESS, AsyncDriver

from bench import postgres
from bench.compare_ops import CHAIN_LIMIT, RELATED_LIMIT, Op, Result, Run, Timing, network_result
from graphsvc import cypher
from graphsvc.errors import NotFoundError
from graphsvc.graph.handle import Graph
from graphsvc.graph.repository import Repository
from graphsvc.graph.traversals import Traversals, with_max_depth


class Pg:
    def __init__(self, roles: list[dict[str, Any]]) -> None:
        self.conn = postgres.connect()
        self.all_roles = [r["id"] for r in roles]
        self.reciprocal = {r["id"]: r["reciprocal_role_id"] for r in roles}
        self.sql = {
            name: postgres.sql(name)
            for name in (
                "record",
                "related",
                "chains",
                "reach_bfs",
                "reach_bfs_any",
                "upline",
                "shortest",
            )
        }
        # CREATE OR REPLACE: functions added since the data were loaded are there too.
        self.conn.execute(postgres.sql("functions"))

    def supports(self, op: Op) -> bool:
        return op.kind != "network"  # nothing to compare with: no SQL for it

    def small_trees(self) -> list[str]:
        return [r[0] for r in self.conn.execute(postgres.sql("small_trees")).fetchall()]

    def page_accounts(self) -> list[str]:
        """10 accounts with 150-300 active employees (an ordinary degree, still over a page)."""
        return [r[0] for r in self.conn.execute(postgres.sql("page_accounts")).fetchall()]

    def friend_pairs(self) -> list[dict[str, str]]:
        """20 (contact, a record three Friend hops away) pairs."""
        rows = self.conn.execute(postgres.sql("friend_pairs")).fetchall()
        return [{"from": a, "to": b} for a, b in rows]

    async def arun(self, op: Op, case: dict[str, str]) -> Result:
        return self.run(op, case)

    def run(self, op: Op, case: dict[str, str], limit: int = CHAIN_LIMIT) -> Result:
        roles = [op.role] if op.role else self.all_roles
        q = self.conn.execute
        if op.kind == "floor":
            return q("SELECT 1").fetchone()[0]  # type: ignore[index]
        if op.kind == "record":
            row = q(self.sql["record"], {"id": case["id"]}).fetchone()
            return row[0] if row else None
        if op.kind == "related":
            rows = q(
                self.sql["related"], {"id": case["id"], "role": op.role, "limit": RELATED_LIMIT}
            ).fetchall()
            return [(r[0], r[8]) for r in rows]
        if op.kind == "chains":
            params = {
                "id": case["id"],
                "role": op.role,
                "min_depth": 1,
                "max_depth": op.depth,
                "limit": limit,
            }
            chains, _records = q(self.sql["chains"], params).fetchone() or ([], [])
            return {tuple(path) for path, _conns in chains}
        if op.kind == "reach":
            sql = self.sql["reach_bfs_any" if op.state == "any" else "reach_bfs"]
            row = q(sql, {"id": case["id"], "roles": roles, "max_depth": op.depth}).fetchone()
            upline: list[str] = []
            if op.role:
                up = q(
                    self.sql["upline"], {"id": case["id"], "role": self.reciprocal[op.role]}
                ).fetchone()
                upline = [r[0] for r in (up[0] if up else [])]
            return (list(row[0]) if row else [], upline)
        pair: dict[str, Any] = {"from": case["from"], "to": case["to"], "roles": roles}
        row = q(self.sql["shortest"], {**pair, "max_depth": op.depth}).fetchone()
        return None if row is None else len(row[0]) - 1


# -- Neo4j: the Cypher through the driver, the repository, the API ------------------------------
class Neo:
    """The service's own Cypher files through the raw async driver, as the service sends them:
    one auto-commit query in a READ session (one round trip)."""

    def __init__(self, driver: AsyncDriver, database: str, roles: list[dict[str, Any]]) -> None:
        self.driver = driver
        self.database = database
        self.names = {r["id"]: r["name"] for r in roles}

    async def _query(self, query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        async with self.driver.session(
            database=self.database, default_access_mode=READ_ACCESS
        ) as s:
            result = await s.run(query, params)
            return [dict(r) async for r in result]  # not .data(): that walks every value

    async def run(self, op: Op, case: dict[str, str], limit: int = CHAIN_LIMIT) -> Result:
        state: dict[str, Any] = {"state": "active", "as_of": None}
        if op.kind == "floor":
            return (await self._query("RETURN 1 AS one", {}))[0]["one"]
        if op.kind == "record":
            rows = await self._query(cypher.load("record_get"), {"id": case["id"]})
            return rows[0]["record"]["id"] if rows else None
        if op.kind == "related":
            params = {
                "id": case["id"],
                "role": op.role,
                "record_type": None,
                "after": "",
                "limit": RELATED_LIMIT + 1,
                **state,
            }
            rows = await self._query(cypher.load("record_connections"), params)
            return [(i[0], i[8]["id"]) for i in rows[0]["items"][:RELATED_LIMIT]]
        if op.kind == "chains":
            params = {"id": case["id"], "role": op.role, "min_depth": 1, "limit": limit, **state}
            rows = await self._query(with_max_depth("traversal_chains", op.depth), params)
            return {tuple(c["records"]) for c in rows[0]["chains"] or []}
        if op.kind == "reach":
            params = {"id": case["id"], "role": op.role, "max_depth": op.depth, "as_of": None}
            params["state"] = None if op.state == "any" else op.state
            rows = await self._query(cypher.load("traversal_reach_procedure"), params)
            per_depth = list(rows[0]["per_depth"])
            while per_depth and per_depth[-1] == 0:
                per_depth.pop()
            return (per_depth, [r["id"] for r in rows[0]["upline"]])
        if op.kind == "network":
            params = {"id": case["id"], "roles": None, "max_depth": op.depth, "limit": 300}
            # The procedure's query, as the service sends it (traversal_network.cypher is only
            # its fallback where graphsvc.network is not installed); edges lead with their id.
            query = cypher.load("traversal_network_procedure")
            row = (await self._query(query, {**params, **state}))[0]
            return network_result([r["id"] for r in row["records"]], [e[0] for e in row["edges"]])
        roles = [op.role] if op.role else None
        params = {"from": case["from"], "to": case["to"], "roles": roles, "limit": 1, **state}
        rows = await self._query(with_max_depth("traversal_shortest", op.depth), params)
        paths = rows[0]["paths"]
        return len(paths[0]["records"]) - 1 if paths else None


class Repo:
    """The repository calls the API routes make (the same objects, the same arguments)."""

    def __init__(self, driver: AsyncDriver, database: str, neo: Neo, timeout: float) -> None:
        self.repo = Repository(Graph(driver, database))
        self.traversals = Traversals(driver, database, timeout=timeout)
        self.neo = neo

    def supports(self, op: Op) -> bool:
        return op.kind != "floor"

    async def run(self, op: Op, case: dict[str, str]) -> Result:
        if op.kind == "record":
            try:
                return (await self.repo.get_record(case["id"])).id
            except NotFoundError:
                return None
        if op.kind == "network":
            # JSON, as the route sends it; `resolve` reads it after the clock stops
            return await self.traversals.network(case["id"], depth=op.depth, limit=300)
        if op.kind == "related":
            page = await self.repo.record_connections(
                case["id"], self.neo.names[op.role or ""], None, "active", None, RELATED_LIMIT, None
            )
            return [(item.connection_id, item.record.id) for item in page.items]
        if op.kind == "chains":
            return await self.traversals.chains(
                case["id"], op.role or "", max_depth=op.depth, limit=CHAIN_LIMIT
            )
        if op.kind == "reach":
            reach = await self.traversals.reach(
                case["id"], op.role, max_depth=op.depth, state=op.state
            )
            return (reach.per_depth, [r.id for r in reach.upline])
        roles = [self.neo.names[op.role]] if op.role else None
        try:
            return await self.traversals.shortest(
                case["from"], case["to"], roles, max_depth=op.depth
            )
        except NotFoundError:
            return None


async def time_layers(
    layers: dict[str, Run], op: Op, cases: list[dict[str, str]], rounds: int
) -> dict[str, Timing]:
    """Every layer on every case in turn (interleaved), so that the load of this shared machine,
    which drifts over minutes, weighs on all layers alike."""
    timings = {layer: Timing() for layer in layers}
    for _ in range(rounds):
        for case in cases:
            for layer, run in layers.items():
                t0 = time.perf_counter()
                await run(op, case)
                elapsed = time.perf_counter() - t0
                timings[layer].ms.append(elapsed * 1000)
                timings[layer].seconds += elapsed
    return timings


def neo4j_layers(op: Op, neo: "Neo", repo: "Repo") -> dict[str, Run]:
    layers: dict[str, Run] = {"driver": neo.run}
    if repo.supports(op):
        layers["repo"] = repo.run
    return layers
