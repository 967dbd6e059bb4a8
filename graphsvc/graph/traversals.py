"""Multi-hop traversals: chains, reach, network and shortest paths, every Cypher call for them.

A method first reads the connection roles when it needs them (a handful of nodes: they resolve a
role id or name to its relationship type and name the roles on each hop), then runs the traversal,
one query in a read transaction with a time limit. Every traversal follows outgoing edges only,
since each connection has an edge at both ends. Reach and network are breadth-first searches
whose depth is a parameter; chains and shortest paths need a literal hop bound (`_with_max_depth`).
"""

from datetime import date
from functools import cache
from typing import Any, LiteralString

from neo4j import AsyncDriver, Query, RoutingControl
from neo4j.exceptions import ClientError

from graphsvc import cypher
from graphsvc.errors import InvalidError, NotFoundError, UnavailableError
from graphsvc.graph.rows import to_record
from graphsvc.models import (
    ChainsResponse,
    Hop,
    NetworkResponse,
    PathsResponse,
    ReachResponse,
    Record,
    RoleRef,
    TraversalPath,
)

MAX_DEPTH = 10
_DEPTH_MARK = "/*max_depth*/10"


@cache
def _with_max_depth(name: str, max_depth: int) -> LiteralString:
    """The query with its upper hop bound set to max_depth.

    Cypher cannot take hop bounds as parameters, and a `length(p) <= $max` filter after a
    `{1,10}` pattern does not prune the expansion (PROFILE: ~4x the db hits at depth 3 from a big
    referral root; and "no path" searches ran to 10 hops). So the file carries `/*max_depth*/10`
    as its bound and only a validated integer ever replaces the 10: no client text reaches the
    query.
    """
    if not isinstance(max_depth, int) or not 0 <= max_depth <= MAX_DEPTH:
        raise InvalidError(f"max_depth must be an integer 0..{MAX_DEPTH}", field="max_depth")
    text = cypher.load(name)
    if _DEPTH_MARK not in text:
        raise RuntimeError(f"cypher/{name}.cypher has no {_DEPTH_MARK} hop bound")
    # str(int) is digits only; the driver's LiteralString guard cannot see that, so say it here.
    query: LiteralString = text.replace(_DEPTH_MARK, str(max_depth))
    return query


class Roles:
    """The connection roles, looked up by id, by name, or by name ignoring case."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.by_id = {r["id"]: r for r in rows}
        self.by_name = {r["name"]: r for r in rows}
        self.by_lower_name = {r["name"].lower(): r for r in rows}
        self.refs = {r["id"]: RoleRef(id=r["id"], name=r["name"]) for r in rows}

    def find(self, key: str, field: str) -> dict[str, Any]:
        role = self.by_id.get(key) or self.by_name.get(key) or self.by_lower_name.get(key.lower())
        if role is None:
            raise NotFoundError(f"connection role '{key}' not found", field=field)
        return role

    def types(self, keys: list[str] | None, field: str) -> list[str] | None:
        if not keys:
            return None
        return sorted({self.find(key, field)["relationship_type"] for key in keys})

    def ref(self, role_id: str | None) -> RoleRef | None:
        return self.refs.get(role_id) if role_id else None


def _filters(state: str, as_of: date | None) -> dict[str, Any]:
    return {"state": None if state == "any" else state, "as_of": as_of}


def _hop(from_id: str, to_id: str, edge: list[Any], roles: Roles) -> Hop:
    connection_id, rel_type, side, role1, role2 = edge
    from_role, to_role = (role1, role2) if side == 1 else (role2, role1)
    return Hop(
        connection_id=connection_id,
        from_id=from_id,
        to_id=to_id,
        relationship_type=rel_type,
        from_role=roles.ref(from_role),
        to_role=roles.ref(to_role),
    )


def _path(raw: dict[str, Any], records: dict[str, Record], roles: Roles) -> TraversalPath:
    ids: list[str] = raw["records"]
    hops = [_hop(ids[i], ids[i + 1], edge, roles) for i, edge in enumerate(raw["hops"])]
    return TraversalPath(
        depth=len(hops),
        records=[records[i] for i in ids],
        connections=[h.connection_id for h in hops],
        hops=hops,
    )


class Traversals:
    """Read-only multi-hop queries over records and connections."""

    def __init__(self, driver: AsyncDriver, database: str, timeout: float = 10.0) -> None:
        self.driver = driver
        self.database = database
        self.timeout = timeout  # seconds; Neo4j aborts a traversal that runs longer (503)

    async def _run(self, text: LiteralString, **params: Any) -> list[dict[str, Any]]:
        try:
            records, _, _ = await self.driver.execute_query(
                Query(text, timeout=self.timeout),
                params,
                routing_=RoutingControl.READ,
                database_=self.database,
            )
        except ClientError as exc:
            if "TransactionTimedOut" in (exc.code or ""):
                raise UnavailableError(
                    f"the traversal ran past its {self.timeout:g} s limit; narrow it "
                    "(a smaller depth, fewer roles, or as_of)"
                ) from None
            raise
        # dict(), not .data(): the values are plain lists and maps already, and .data() walks
        # them in Python (~10 ms for 100 chains).
        return [dict(r) for r in records]

    async def _roles(self) -> Roles:
        rows = await self._run(cypher.load("traversal_roles"))
        return Roles(rows[0]["roles"])

    async def chains(
        self,
        record_id: str,
        role: str,
        *,
        min_depth: int = 1,
        max_depth: int = 5,
        limit: int = 100,
        state: str = "active",
        as_of: date | None = None,
    ) -> ChainsResponse:
        """Simple paths from the record along edges of one role, min_depth..max_depth hops."""
        if min_depth > max_depth:
            raise InvalidError(
                f"min_depth ({min_depth}) must not exceed max_depth ({max_depth})",
                field="min_depth",
            )
        roles = await self._roles()
        rel_type = roles.find(role, "role")["relationship_type"]
        rows = await self._run(
            _with_max_depth("traversal_chains", max_depth),
            id=record_id,
            type=rel_type,
            min_depth=min_depth,
            limit=limit + 1,
            **_filters(state, as_of),
        )
        if not rows:
            raise NotFoundError(f"record '{record_id}' not found", field="id")
        row = rows[0]
        start = to_record(row["start"])
        records = {start.id: start} | {r.id: r for r in map(to_record, row["records"] or [])}
        chains = [_path(raw, records, roles) for raw in (row["chains"] or [])]
        chains.sort(key=lambda p: (p.depth, p.connections))
        return ChainsResponse(chains=chains[:limit], truncated=len(chains) > limit)

    async def reach(
        self,
        record_id: str,
        role: str | None = None,
        *,
        max_depth: int = 6,
        state: str = "active",
        as_of: date | None = None,
    ) -> ReachResponse:
        """Distinct records first reached at each depth, and the upline through the reciprocal."""
        if not 1 <= max_depth <= MAX_DEPTH:
            raise InvalidError(f"max_depth must be 1..{MAX_DEPTH}", field="max_depth")
        types: list[str] | None = None
        upline_type: str | None = None
        if role is not None:
            roles = await self._roles()
            found = roles.find(role, "role")
            types = [found["relationship_type"]]
            reciprocal = roles.by_id.get(found["reciprocal_role_id"] or "")
            # A symmetric role (Friend) has no tree, hence no upline.
            if reciprocal and reciprocal["id"] != found["id"]:
                upline_type = reciprocal["relationship_type"]
        rows = await self._run(
            cypher.load("traversal_reach"),
            id=record_id,
            max_depth=max_depth,
            types=types,
            upline_type=upline_type,
            **_filters(state, as_of),
        )
        if not rows:
            raise NotFoundError(f"record '{record_id}' not found", field="id")
        per_depth: list[int] = rows[0]["per_depth"]
        while per_depth and per_depth[-1] == 0:
            per_depth.pop()
        return ReachResponse(
            per_depth=per_depth,
            total=sum(per_depth),
            upline=[to_record(r) for r in rows[0]["upline"]],
            upline_truncated=rows[0]["upline_truncated"],
        )

    async def network(
        self,
        record_id: str,
        roles: list[str] | None = None,
        *,
        depth: int = 2,
        limit: int = 300,
        state: str = "active",
        as_of: date | None = None,
    ) -> NetworkResponse:
        """The records within depth hops (nearest first, at most limit) and their connections."""
        if not 1 <= depth <= MAX_DEPTH:
            raise InvalidError(f"depth must be 1..{MAX_DEPTH}", field="depth")
        known = await self._roles()
        rows = await self._run(
            cypher.load("traversal_network"),
            id=record_id,
            max_depth=depth,
            types=known.types(roles, "roles"),
            limit=limit,
            **_filters(state, as_of),
        )
        if not rows:
            raise NotFoundError(f"record '{record_id}' not found", field="id")
        row = rows[0]
        edges: dict[str, list[Any]] = {}
        for edge in row["edges"]:
            # Each connection once: its record1 -> record2 edge when both edges matched.
            if edge[0] not in edges or edge[4] == 1:
                edges[edge[0]] = edge
        return NetworkResponse(
            nodes=[to_record(r) for r in row["records"]],
            edges=[
                _hop(from_id, to_id, [cid, rel_type, side, role1, role2], known)
                for cid, from_id, to_id, rel_type, side, role1, role2 in sorted(edges.values())
            ],
            truncated=row["truncated"],
        )

    async def shortest(
        self,
        from_id: str,
        to_id: str,
        roles: list[str] | None = None,
        *,
        max_depth: int = 6,
        all_shortest: bool = False,
        limit: int = 100,
        state: str = "active",
        as_of: date | None = None,
    ) -> PathsResponse:
        """The shortest path (or all of them) between two records within max_depth hops."""
        known = await self._roles()
        name = "traversal_shortest_all" if all_shortest else "traversal_shortest"
        rows = await self._run(
            _with_max_depth(name, max_depth),
            **{"from": from_id, "to": to_id},
            types=known.types(roles, "roles"),
            limit=limit + 1 if all_shortest else 1,
            **_filters(state, as_of),
        )
        row = rows[0]
        for found, record_id, field in (
            (row["from_found"], from_id, "from"),
            (row["to_found"], to_id, "to"),
        ):
            if not found:
                raise NotFoundError(f"record '{record_id}' not found", field=field)
        if not row["paths"]:
            raise NotFoundError(
                f"no path from '{from_id}' to '{to_id}' within {max_depth} hops",
                field="to",
            )
        records = {r.id: r for r in map(to_record, row["records"])}
        paths = sorted(
            (_path(raw, records, known) for raw in row["paths"]), key=lambda p: p.connections
        )
        return PathsResponse(paths=paths[:limit], truncated=len(paths) > limit)
