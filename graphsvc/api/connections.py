"""Routes for /connections."""

from typing import Annotated

from fastapi import APIRouter, Path

from graphsvc.api.deps import RepositoryDep
from graphsvc.api.responses import errors
from graphsvc.identifiers import ID_PATTERN
from graphsvc.models import Connection, ConnectionCreate, ConnectionPatch

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
