"""Routes for multi-hop traversals: chains, network, reach and shortest paths."""

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query

from graphsvc.api.deps import TraversalsDep
from graphsvc.api.responses import Json, errors
from graphsvc.graph.traversals import MAX_DEPTH
from graphsvc.identifiers import ID_PATTERN
from graphsvc.models import ChainsResponse, NetworkResponse, PathsResponse, ReachResponse

router = APIRouter(tags=["traversals"])

RecordId = Annotated[str, Path(pattern=ID_PATTERN, description="record id")]
StateFilter = Annotated[
    Literal["active", "inactive", "any"],
    Query(description="only connections in this state, on every hop (default active)"),
]
AsOf = Annotated[
    date | None,
    Query(description="YYYY-MM-DD: only connections effective on that date, on every hop"),
]
Roles = Annotated[
    list[str] | None,
    Query(
        max_length=50,
        description="roles to follow, by id or name: repeat the parameter or separate with "
        "commas; omitted: every role",
    ),
]


def _split(roles: list[str] | None) -> list[str] | None:
    if roles is None:
        return None
    return [part.strip() for value in roles for part in value.split(",") if part.strip()] or None


def _depth(default: int, what: str) -> Any:
    return Query(ge=1, le=MAX_DEPTH, description=f"{what} (default {default}, at most {MAX_DEPTH})")


@router.get(
    "/records/{record_id}/chains", response_model=ChainsResponse, responses=errors(404, 422, 503)
)
async def record_chains(
    record_id: RecordId,
    traversals: TraversalsDep,
    role: Annotated[
        str, Query(min_length=1, max_length=100, description="the role to follow, by id or name")
    ],
    max_depth: Annotated[int, _depth(5, "longest chain, in hops")] = 5,
    min_depth: Annotated[int, _depth(1, "shortest chain, in hops")] = 1,
    limit: Annotated[int, Query(ge=1, le=1000, description="most chains (default 100)")] = 100,
    state: StateFilter = "active",
    as_of: AsOf = None,
) -> Json:
    """Multi-hop chains: simple paths from the record along edges of one role, outward.

    `role=Referral` lists whom the record referred, whom those referred, and so on;
    `role=Referred by` walks back toward the original referrer. Every chain prefix of at least
    `min_depth` hops is a chain. Chains come shortest first; when `limit` cuts the answer
    (`truncated: true`) the chains kept are the first the depth-first search found."""
    return Json(
        await traversals.chains(
            record_id,
            role,
            min_depth=min_depth,
            max_depth=max_depth,
            limit=limit,
            state=state,
            as_of=as_of,
        )
    )


@router.get("/records/{record_id}/reach", responses=errors(404, 422, 503))
async def record_reach(
    record_id: RecordId,
    traversals: TraversalsDep,
    role: Annotated[
        str | None,
        Query(min_length=1, max_length=100, description="by id or name; omitted: every role"),
    ] = None,
    max_depth: Annotated[int, _depth(6, "deepest level counted")] = 6,
    state: StateFilter = "active",
    as_of: AsOf = None,
) -> ReachResponse:
    """Referral-tree figures: distinct records first reached at each depth, the total, and the
    upline (the chain back to the root through the role's reciprocal, at most 10 hops).

    The upline is empty when `role` is omitted or has no distinct reciprocal (`Friend`)."""
    return await traversals.reach(record_id, role, max_depth=max_depth, state=state, as_of=as_of)


@router.get(
    "/records/{record_id}/network", response_model=NetworkResponse, responses=errors(404, 422, 503)
)
async def record_network(
    record_id: RecordId,
    traversals: TraversalsDep,
    roles: Roles = None,
    depth: Annotated[int, _depth(2, "hops from the record")] = 2,
    limit: Annotated[
        int,
        Query(
            ge=1,
            le=5000,
            description="most nodes, the record included (default 300: what the Neo4j "
            "Browser draws at once)",
        ),
    ] = 300,
    state: StateFilter = "active",
    as_of: AsOf = None,
) -> Json:
    """The subgraph within `depth` hops, for drawing: nodes nearest first, and every connection
    between two of them once (in its record1 -> record2 direction when both edges match).

    When more records are within reach than `limit`, the farthest level is cut
    (`truncated: true`)."""
    return Json(
        await traversals.network(
            record_id, _split(roles), depth=depth, limit=limit, state=state, as_of=as_of
        )
    )


@router.get("/paths/shortest", response_model=PathsResponse, responses=errors(404, 422, 503))
async def shortest_paths(
    traversals: TraversalsDep,
    from_id: Annotated[str, Query(alias="from", pattern=ID_PATTERN, description="record id")],
    to_id: Annotated[str, Query(alias="to", pattern=ID_PATTERN, description="record id")],
    roles: Roles = None,
    max_depth: Annotated[int, _depth(6, "longest path, in hops")] = 6,
    all_shortest: Annotated[
        bool, Query(alias="all", description="every shortest path, not just one")
    ] = False,
    limit: Annotated[
        int, Query(ge=1, le=1000, description="most paths with all=true (default 100)")
    ] = 100,
    state: StateFilter = "active",
    as_of: AsOf = None,
) -> Json:
    """The shortest path(s) between two records along the given roles (outgoing edges).

    404 when there is none within `max_depth` hops; the search never goes deeper."""
    return Json(
        await traversals.shortest(
            from_id,
            to_id,
            _split(roles),
            max_depth=max_depth,
            all_shortest=all_shortest,
            limit=limit,
            state=state,
            as_of=as_of,
        )
    )
