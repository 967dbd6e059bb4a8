"""Routes for /records, and a record's connections."""

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response, status

from graphsvc.api.deps import RepositoryDep
from graphsvc.api.responses import errors
from graphsvc.identifiers import ID_PATTERN
from graphsvc.models import (
    Record,
    RecordBody,
    RecordCreate,
    RecordPage,
    RecordPatch,
    RecordType,
    RelatedRecordPage,
    State,
)

router = APIRouter(prefix="/records", tags=["records"])
RecordId = Annotated[str, Path(pattern=ID_PATTERN, description="record id")]


@router.post("", status_code=201, responses=errors(409, 422))
async def create_record(body: RecordCreate, repo: RepositoryDep) -> Record:
    """Create a record (409 if the id exists; omit `id` for a generated UUID)."""
    return await repo.create_record(body)


@router.put(
    "/{record_id}", responses={**errors(422), 201: {"model": Record, "description": "created"}}
)
async def put_record(
    record_id: RecordId, body: RecordBody, repo: RepositoryDep, response: Response
) -> Record:
    """Create or replace a record (idempotent): 201 when created, 200 when replaced."""
    record, created = await repo.put_record(record_id, body)
    if created:
        response.status_code = status.HTTP_201_CREATED
    return record


@router.get("/{record_id}", responses=errors(404, 422))
async def read_record(record_id: RecordId, repo: RepositoryDep) -> Record:
    """One record."""
    return await repo.get_record(record_id)


@router.patch("/{record_id}", responses=errors(404, 422))
async def patch_record(record_id: RecordId, patch: RecordPatch, repo: RepositoryDep) -> Record:
    """Change the name and merge attributes (an attribute set to null is deleted)."""
    return await repo.patch_record(record_id, patch)


@router.delete("/{record_id}", status_code=204, responses=errors(404, 422))
async def delete_record(record_id: RecordId, repo: RepositoryDep) -> None:
    """Delete the record and every connection it is part of (both edges of each)."""
    await repo.delete_record(record_id)


@router.get("", responses=errors(422))
async def list_records(
    repo: RepositoryDep,
    type: Annotated[RecordType | None, Query(description="only records of this type")] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=500, description="name prefix")] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="page size (default 50, max 500)")] = 50,
    cursor: Annotated[str | None, Query(max_length=1000, description="from `next_cursor`")] = None,
) -> RecordPage:
    """Page through records in id order."""
    return await repo.list_records(type, q, limit, cursor)


@router.get("/{record_id}/connections", responses=errors(404, 422))
async def list_record_connections(
    record_id: RecordId,
    repo: RepositoryDep,
    role: Annotated[
        str | None,
        Query(min_length=1, max_length=100, description="the related record's role, by id or name"),
    ] = None,
    record_type: Annotated[
        RecordType | None, Query(description="type of the related record")
    ] = None,
    state: Annotated[
        State | Literal["any"], Query(description="active (default), inactive or any")
    ] = "active",
    as_of: Annotated[
        date | None, Query(description="only connections effective on this date")
    ] = None,
    limit: Annotated[
        int, Query(ge=1, le=1000, description="page size (default 100, max 1000)")
    ] = 100,
    cursor: Annotated[str | None, Query(max_length=1000)] = None,
) -> RelatedRecordPage:
    """The record's connections, each with the related record and its role, by connection id.

    `role=Referral` on John returns the records that are John's referrals (Jane)."""
    return await repo.record_connections(
        record_id, role, record_type, None if state == "any" else state, as_of, limit, cursor
    )
