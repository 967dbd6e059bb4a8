"""Routes for /connections."""

from datetime import UTC, date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from graphsvc.api.deps import RepositoryDep
from graphsvc.api.responses import errors
from graphsvc.graph.listing import list_connections
from graphsvc.identifiers import ID_PATTERN
from graphsvc.models import (
    Connection,
    ConnectionCreate,
    ConnectionPage,
    ConnectionPatch,
    RecordType,
)

router = APIRouter(prefix="/connections", tags=["connections"])
ConnectionId = Annotated[str, Path(pattern=ID_PATTERN, description="connection id")]


@router.post("", status_code=201, responses=errors(404, 409, 422))
async def create_connection(body: ConnectionCreate, repo: RepositoryDep) -> Connection:
    """Connect two records: both edges, in one transaction.

    Roles by id (`record2_role_id`) or name (`record2_role`); when one side's role is given, the
    other side defaults to its reciprocal. 404: unknown record or role. 422: a record connected to
    itself, a role not applicable to the record's type, `effective_end` before `effective_start`.
    409: an identical active connection (same records and roles, either direction), a taken id,
    or a loop of an acyclic role (the message names the existing chain)."""
    return await repo.create_connection(body)


@router.get("", responses=errors(404, 422, 503))
async def list_all_connections(
    repo: RepositoryDep,
    role: Annotated[
        list[str] | None,
        Query(
            max_length=50,
            description="only connections with one of these roles on either side, by id or "
            "name; repeat the parameter or separate with commas (`roles` is the same)",
        ),
    ] = None,
    roles: Annotated[list[str] | None, Query(max_length=50, description="same as `role`")] = None,
    record_type: Annotated[
        RecordType | None,
        Query(description="only connections with a record of this type on either side"),
    ] = None,
    state: Annotated[
        Literal["active", "inactive", "any"], Query(description="default active; `any` for both")
    ] = "active",
    as_of: Annotated[
        date | None, Query(description="YYYY-MM-DD: only connections effective on that date")
    ] = None,
    changed_since: Annotated[
        datetime | None,
        Query(
            description="ISO 8601 time (UTC when it has no offset): only connections created or "
            "changed at or after it"
        ),
    ] = None,
    limit: Annotated[
        int, Query(ge=1, le=1000, description="page size (default 100, max 1000)")
    ] = 100,
    cursor: Annotated[str | None, Query(max_length=1000, description="from `next_cursor`")] = None,
) -> ConnectionPage:
    """Every connection once (both sides in one item, as `GET /connections/{id}`), in id order,
    paged with an opaque cursor. 404: an unknown role."""
    wanted = [p.strip() for v in (role or []) + (roles or []) for p in v.split(",") if p.strip()]
    if changed_since and changed_since.tzinfo is None:
        changed_since = changed_since.replace(tzinfo=UTC)
    return await list_connections(
        repo,
        wanted or None,
        record_type,
        None if state == "any" else state,
        as_of,
        changed_since,
        limit,
        cursor,
    )


@router.get("/{connection_id}", responses=errors(404, 422))
async def read_connection(connection_id: ConnectionId, repo: RepositoryDep) -> Connection:
    """One connection, both sides."""
    return await repo.get_connection(connection_id)


@router.patch("/{connection_id}", responses=errors(404, 409, 422))
async def patch_connection(
    connection_id: ConnectionId, patch: ConnectionPatch, repo: RepositoryDep
) -> Connection:
    """Change roles (both edges are retyped in one transaction), description, dates or state."""
    return await repo.patch_connection(connection_id, patch)


@router.delete("/{connection_id}", status_code=204, responses=errors(404, 422))
async def delete_connection(connection_id: ConnectionId, repo: RepositoryDep) -> None:
    """Delete both edges of the connection."""
    await repo.delete_connection(connection_id)
