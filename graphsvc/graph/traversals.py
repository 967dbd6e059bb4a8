"""Multi-hop traversals: chains, reach, network and shortest paths, every Cypher call for them.

Each method is one round trip: one auto-commit read (`graphsvc.graph.reads`) with a time limit,
whose query also resolves the role ids or names asked for to relationship types and returns the
connection roles (a handful of nodes) that name each hop's roles. Every traversal follows outgoing edges only,
since each connection has an edge at both ends. Reach and network are breadth-first searches
whose depth is a parameter; chains and shortest paths need a literal hop bound (`with_max_depth`).
"""

import logging
import weakref
from datetime import date
from functools import cache
from typing import Any, LiteralString

from neo4j import AsyncDriver
from neo4j.exceptions import ClientError
from pydantic import TypeAdapter

from graphsvc import cypher
from graphsvc.errors import InvalidError, NotFoundError
from graphsvc.graph.answers import network_json, paths_json, role_refs
from graphsvc.graph.reads import gone, read, record_shape
from graphsvc.models import ReachResponse, Record

log = logging.getLogger("graphsvc")
MAX_DEPTH = 10
_DEPTH_MARK = "/*max_depth*/10"
# A reach answer's upline: at most 10 records, validated in one pydantic-core call. The answers
# that repeat records (chains, shortest paths) and the network are JSON built in
# graphsvc.graph.answers.
_RECORDS = TypeAdapter(list[Record])


@cache
def with_max_depth(name: str, max_depth: int) -> LiteralString:
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


# Per driver, the searches whose procedure its Neo4j lacks (weakly held: a closed app's driver
# goes away).
_without_procedure: "weakref.WeakKeyDictionary[AsyncDriver, set[str]]" = weakref.WeakKeyDictionary()


def _check_found(keys: list[str] | None, found: list[Any] | None, field: str) -> None:
    """404 naming the first role key the query could not resolve."""
    for key, role in zip(keys or [], found or [], strict=False):
        if role is None:
            raise NotFoundError(f"connection role '{key}' not found", field=field)


def _filters(state: str, as_of: date | None) -> dict[str, Any]:
    return {"state": None if state == "any" else state, "as_of": as_of}


def _network_shape(row: dict[str, Any]) -> tuple[list[dict[str, Any]], list[list[Any]]]:
    """traversal_network.cypher's records and edges in graphsvc.network's shape: records as the
    Record model, each connection once (its record1 -> record2 edge when both edges matched) as
    [id, from id, to id, relationship type, from role, to role], in connection id order."""
    records = [record_shape(r) for r in row["records"] if not gone(r)]
    kept = {r["id"] for r in records}
    edges: dict[str, list[Any]] = {}
    for edge in row["edges"]:
        if edge[0] is None or edge[1] not in kept or edge[2] not in kept:
            continue  # deleted while the query ran
        if edge[0] not in edges or edge[4] == 1:
            edges[edge[0]] = edge
    return records, [
        [cid, from_id, to_id, rel_type, *((role1, role2) if side == 1 else (role2, role1))]
        for cid, from_id, to_id, rel_type, side, role1, role2 in sorted(edges.values())
    ]


class Traversals:
    """Read-only multi-hop queries over records and connections, one round trip each."""

    def __init__(self, driver: AsyncDriver, database: str, timeout: float = 10.0) -> None:
        self.driver = driver
        self.database = database
        self.timeout = timeout  # seconds; Neo4j aborts a traversal that runs longer (503)

    async def _run(self, text: LiteralString, **params: Any) -> dict[str, Any]:
        """The one row every traversal query returns."""
        rows = await read(self.driver, self.database, text, params, self.timeout)
        return rows[0]

    async def _run_in_engine(self, name: str, **params: Any) -> tuple[bool, dict[str, Any]]:
        """Whether graphsvc's own procedure answered, and the row: `<name>_procedure.cypher`'s,
        the search run by the procedure (installed by `graphsvc neo4j start`, compose and the
        tests; not on Aura), else `<name>.cypher`'s, the same answer from Cypher."""
        missing = _without_procedure.setdefault(self.driver, set())
        if name not in missing:
            try:
                return True, await self._run(cypher.load(f"{name}_procedure"), **params)
            except ClientError as exc:
                if "ProcedureNotFound" not in (exc.code or ""):
                    raise
                log.warning("graphsvc's procedure for %s is not in Neo4j; it runs in Cypher", name)
                missing.add(name)
        return False, await self._run(cypher.load(name), **params)

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
    ) -> bytes:
        """Simple paths from the record along edges of one role, min_depth..max_depth hops:
        ChainsResponse as JSON."""
        if min_depth > max_depth:
            raise InvalidError(
                f"min_depth ({min_depth}) must not exceed max_depth ({max_depth})",
                field="min_depth",
            )
        row = await self._run(
            with_max_depth("traversal_chains", max_depth),
            id=record_id,
            role=role,
            min_depth=min_depth,
            limit=limit + 1,
            **_filters(state, as_of),
        )
        if not row["role_found"]:
            raise NotFoundError(f"connection role '{role}' not found", field="role")
        if row["start"] is None or gone(row["start"]):
            raise NotFoundError(f"record '{record_id}' not found", field="id")
        records = [row["start"], *(row["records"] or [])]
        body, _ = paths_json("chains", row["chains"] or [], records, role_refs(row["roles"]), limit)
        return body

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
        row = await self._reach_row(record_id, role, max_depth, state, as_of)
        if not row["role_found"]:
            raise NotFoundError(f"connection role '{role}' not found", field="role")
        if not row["record_found"]:
            raise NotFoundError(f"record '{record_id}' not found", field="id")
        per_depth: list[int] = row["per_depth"]
        while per_depth and per_depth[-1] == 0:
            per_depth.pop()
        return ReachResponse.model_construct(
            per_depth=per_depth,
            total=sum(per_depth),
            upline=_RECORDS.validate_python(
                [record_shape(r) for r in row["upline"] if not gone(r)]
            ),
            upline_truncated=row["upline_truncated"],
        )

    async def _reach_row(
        self, record_id: str, role: str | None, max_depth: int, state: str, as_of: date | None
    ) -> dict[str, Any]:
        params = {"id": record_id, "role": role, "max_depth": max_depth, **_filters(state, as_of)}
        _in_engine, row = await self._run_in_engine("traversal_reach", **params)
        return row

    async def network(
        self,
        record_id: str,
        roles: list[str] | None = None,
        *,
        depth: int = 2,
        limit: int = 300,
        state: str = "active",
        as_of: date | None = None,
    ) -> bytes:
        """The records within depth hops (nearest first, at most limit) and their connections:
        NetworkResponse as JSON."""
        if not 1 <= depth <= MAX_DEPTH:
            raise InvalidError(f"depth must be 1..{MAX_DEPTH}", field="depth")
        in_engine, row = await self._run_in_engine(
            "traversal_network",
            id=record_id,
            roles=roles,
            max_depth=depth,
            limit=limit,
            **_filters(state, as_of),
        )
        _check_found(roles, row["found"], "roles")
        if not row["record_found"]:
            raise NotFoundError(f"record '{record_id}' not found", field="id")
        records, edges = (row["records"], row["edges"]) if in_engine else _network_shape(row)
        return network_json(records, edges, role_refs(row["roles"]), row["truncated"])

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
    ) -> bytes:
        """The shortest path (or all of them) between two records within max_depth hops:
        PathsResponse as JSON."""
        name = "traversal_shortest_all" if all_shortest else "traversal_shortest"
        row = await self._run(
            with_max_depth(name, max_depth),
            **{"from": from_id, "to": to_id},
            roles=roles,
            limit=limit + 1 if all_shortest else 1,
            **_filters(state, as_of),
        )
        _check_found(roles, row["found"], "roles")
        for found, record_id, field in (
            (row["from_found"], from_id, "from"),
            (row["to_found"], to_id, "to"),
        ):
            if not found:
                raise NotFoundError(f"record '{record_id}' not found", field=field)
        body, whole = paths_json(
            "paths", row["paths"], row["records"], role_refs(row["roles"]), limit
        )
        if not whole:
            raise NotFoundError(
                f"no path from '{from_id}' to '{to_id}' within {max_depth} hops",
                field="to",
            )
        return body
