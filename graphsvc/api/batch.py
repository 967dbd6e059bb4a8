"""Routes for /batch: many records or connections per request, each row reported."""

import json
from typing import Any

from fastapi import APIRouter, Request

from graphsvc.api.deps import BatchWriterDep
from graphsvc.api.responses import errors
from graphsvc.errors import InvalidError, PayloadTooLargeError
from graphsvc.graph.batch import MAX_BATCH_ROWS, Item
from graphsvc.models import BatchFailure, BatchResult
from graphsvc.text import printable

router = APIRouter(prefix="/batch", tags=["batch"])
TOO_DEEP = "JSON nested too deep (a row is one object of fields)"


_ERRORS: dict[int | str, dict[str, Any]] = {
    **errors(422),
    413: {"description": f"more than {MAX_BATCH_ROWS:,} rows"},
}
_BODY = {
    "requestBody": {
        "required": True,
        "description": f"a JSON array of up to {MAX_BATCH_ROWS:,} rows, or the same rows as "
        "NDJSON (`Content-Type: application/x-ndjson`, one JSON object per line)",
        "content": {
            "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
            "application/x-ndjson": {"schema": {"type": "string"}},
        },
    }
}


async def _rows(request: Request) -> tuple[list[Item], list[BatchFailure]]:
    """The body's rows, indexed from 0; an NDJSON line that is not JSON fails on its own."""
    body = await request.body()
    items: list[Item] = []
    failed: list[BatchFailure] = []
    if "ndjson" in request.headers.get("content-type", ""):
        lines = [line for line in body.splitlines() if line.strip()]
        if len(lines) > MAX_BATCH_ROWS:
            raise PayloadTooLargeError(f"{len(lines)} rows; a batch takes at most {MAX_BATCH_ROWS}")
        for index, line in enumerate(lines):
            try:
                items.append((index, json.loads(line)))
            except ValueError as exc:
                failed.append(BatchFailure(index=index, id=None, error=f"not JSON: {exc}"))
            except RecursionError:
                failed.append(BatchFailure(index=index, id=None, error=TOO_DEEP))
    else:
        try:
            rows: Any = json.loads(body)
        except ValueError as exc:
            raise InvalidError(f"the body is not JSON: {exc}", field="body") from None
        except RecursionError:
            raise InvalidError(f"the body is not a batch: {TOO_DEEP}", field="body") from None
        if not isinstance(rows, list):
            raise InvalidError("the body must be a JSON array of rows (or NDJSON)", field="body")
        if len(rows) > MAX_BATCH_ROWS:
            raise PayloadTooLargeError(f"{len(rows)} rows; a batch takes at most {MAX_BATCH_ROWS}")
        items = list(enumerate(rows))
    return items, failed


def _merge(result: BatchResult, failed: list[BatchFailure]) -> BatchResult:
    # A failure quotes the row's own id and keys, which may hold unpaired surrogates.
    result.failed = [
        BatchFailure(index=f.index, id=printable(f.id) if f.id else f.id, error=printable(f.error))
        for f in sorted(result.failed + failed, key=lambda f: f.index)
    ]
    return result


@router.post("/records", responses=_ERRORS, openapi_extra=_BODY)
async def batch_records(request: Request, writer: BatchWriterDep) -> BatchResult:
    """Upsert up to 10,000 records by id (each replaced as by PUT); every row is reported.

    A row that fails (bad field, no id) is listed in `failed` with its index and the reason; the
    other rows are written. Re-sending the same rows reports them all `unchanged`."""
    items, failed = await _rows(request)
    return _merge(await writer.write_records(items), failed)


@router.post("/connections", responses=_ERRORS, openapi_extra=_BODY)
async def batch_connections(request: Request, writer: BatchWriterDep) -> BatchResult:
    """Upsert up to 10,000 connections by connection id (rows as in POST /connections, `id`
    required; roles by id or name); every row is reported.

    Each row writes both edges and the key node, or nothing. A row fails (listed in `failed` with
    its index and the reason) when a field is invalid, a record or role is unknown, a role does
    not apply to its record, the id belongs to a connection between other records, an identical
    active connection exists under another id (the single-item 409), or an acyclic role would
    close a loop. A changed row updates the connection (both edges retyped if a role changed);
    re-sending the same rows reports them all `unchanged`."""
    items, failed = await _rows(request)
    return _merge(await writer.write_connections(items), failed)
