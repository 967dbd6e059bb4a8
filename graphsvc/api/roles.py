"""Routes for /connection-roles."""

from typing import Annotated

from fastapi import APIRouter, Path

from graphsvc.api.deps import RepositoryDep
from graphsvc.api.responses import errors
from graphsvc.identifiers import ID_PATTERN
from graphsvc.models import Role, RoleCreate, RolePatch

router = APIRouter(prefix="/connection-roles", tags=["connection roles"])
RoleId = Annotated[str, Path(pattern=ID_PATTERN, description="role id")]


@router.post("", status_code=201, responses=errors(404, 409, 422))
async def create_role(body: RoleCreate, repo: RepositoryDep) -> Role:
    """Create a role. Its relationship type derives from the name (`Referred by` → `REFERRED_BY`)
    and must be unique (409). Setting `reciprocal_role_id` makes the reciprocity symmetric."""
    return await repo.create_role(body)


@router.get("", responses=errors())
async def list_roles(repo: RepositoryDep) -> list[Role]:
    """Every connection role."""
    return await repo.list_roles()


@router.get("/{role_id}", responses=errors(404, 422))
async def read_role(role_id: RoleId, repo: RepositoryDep) -> Role:
    """One connection role."""
    return await repo.get_role(role_id)


@router.patch("/{role_id}", responses=errors(404, 409, 422))
async def patch_role(role_id: RoleId, patch: RolePatch, repo: RepositoryDep) -> Role:
    """Change a role. A new name retypes every edge of the role in the same transaction."""
    return await repo.patch_role(role_id, patch)


@router.delete("/{role_id}", status_code=204, responses=errors(404, 409, 422))
async def delete_role(role_id: RoleId, repo: RepositoryDep) -> None:
    """Delete a role; 409 while connections use it."""
    await repo.delete_role(role_id)
