"""Every error leaves as JSON `{"detail": "...", ...}` naming the field or record at fault."""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from neo4j.exceptions import (
    AuthError,
    ClientError,
    ConnectionAcquisitionTimeoutError,
    ServiceUnavailable,
    SessionExpired,
)

from graphsvc.errors import GraphError, is_timeout
from graphsvc.text import printable


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    return ".".join(parts) or "body"


def _unavailable(detail: str, retry_after: int = 5) -> JSONResponse:
    return JSONResponse(
        {"detail": detail}, status_code=503, headers={"Retry-After": str(retry_after)}
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(GraphError)
    async def graph_error(request: Request, exc: GraphError) -> JSONResponse:
        body = exc.body()
        body["detail"] = printable(body["detail"])
        retry_after = body.pop("retry_after", 5)
        headers = {"Retry-After": str(retry_after)} if exc.status_code == 503 else None
        return JSONResponse(body, status_code=exc.status_code, headers=headers)

    @app.exception_handler(AuthError)
    async def neo4j_auth_error(request: Request, exc: AuthError) -> JSONResponse:
        request.app.state.db.auth_failed(exc)  # logs the cause (never the password)
        return _unavailable("the graph database refused graphsvc's credentials; retry later")

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        # Sent back with the input's own keys and words, which may hold unpaired surrogates.
        errors = [
            {
                "field": printable(_field(tuple(e["loc"]))),
                "reason": printable(str(e["msg"]).removeprefix("Value error, ")),
            }
            for e in exc.errors()
        ]
        detail = "; ".join(f"{e['field']}: {e['reason']}" for e in errors)
        return JSONResponse(
            {"detail": detail, "field": errors[0]["field"] if errors else "body", "errors": errors},
            status_code=422,
        )

    @app.exception_handler(ClientError)
    async def neo4j_client_error(request: Request, exc: ClientError) -> JSONResponse:
        if is_timeout(exc.code):
            return _unavailable(
                "the query ran past its time limit and was stopped; narrow it "
                "(smaller depth or limit) or retry later"
            )
        raise exc  # a query graphsvc wrote wrongly: a real 500, logged

    @app.exception_handler(ConnectionAcquisitionTimeoutError)
    async def neo4j_saturated(request: Request, exc: Exception) -> JSONResponse:
        # every pooled connection is held by a transaction (writers queued behind locks)
        return _unavailable("every connection to the graph database is busy; retry shortly", 1)

    @app.exception_handler(ServiceUnavailable)
    @app.exception_handler(SessionExpired)
    async def neo4j_unavailable(request: Request, exc: Exception) -> JSONResponse:
        return _unavailable("the graph database is unavailable; retry shortly")


_VALIDATION_ERROR = {
    "title": "HTTPValidationError",
    "type": "object",
    "required": ["detail", "field", "errors"],
    "properties": {
        "detail": {"type": "string", "description": "every problem, `field: reason`, joined by ;"},
        "field": {"type": "string", "description": "the first field at fault"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "reason"],
                "properties": {"field": {"type": "string"}, "reason": {"type": "string"}},
            },
        },
    },
}
_ERROR = {"$ref": "#/components/schemas/ErrorBody"}
_COMMON = {
    "401": "no API key, or an unknown one (only when keys are configured)",
    "403": "the API key's scope does not allow this request",
    "413": "request body over the size limit",
    "415": "a body that is not application/json (or application/x-ndjson for /batch)",
    "503": "Neo4j is unavailable or the query ran past its time limit; see Retry-After",
}


def document_errors(app: FastAPI) -> None:
    """Make /openapi.json describe the error bodies graphsvc really sends."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = generate()
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        schemas["HTTPValidationError"] = _VALIDATION_ERROR
        schemas.pop("ValidationError", None)
        schemas.setdefault(
            "ErrorBody",
            {
                "type": "object",
                "required": ["detail"],
                "properties": {"detail": {"type": "string"}, "field": {"type": ["string", "null"]}},
            },
        )
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                for code, text in _COMMON.items():
                    responses.setdefault(
                        code,
                        {"description": text, "content": {"application/json": {"schema": _ERROR}}},
                    )
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
