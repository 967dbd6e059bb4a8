"""Liveness and readiness."""

from fastapi import APIRouter, Response, status
from neo4j.exceptions import AuthError, Neo4jError, ServiceUnavailable, SessionExpired

from graphsvc.api.deps import DatabaseDep

router = APIRouter(tags=["operations"])


@router.get("/health")
async def health() -> dict[str, str]:
    """The process is up (says nothing about Neo4j)."""
    return {"status": "ok"}


@router.get("/ready", responses={503: {"description": "Neo4j unreachable or schema not applied"}})
async def ready(db: DatabaseDep, response: Response) -> dict[str, str]:
    """200 once Neo4j answers and the schema is applied; 503 (with Retry-After) until then."""
    try:
        try:
            await db.driver.verify_connectivity()
        except AuthError as exc:
            db.auth_failed(exc)  # logs the cause; probes then back off like requests
            raise
        await db.ensure_schema()  # (logs and backs off by itself on AuthError)
    except (ServiceUnavailable, SessionExpired, Neo4jError, OSError) as exc:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        response.headers["Retry-After"] = "5"
        return {"status": "unavailable", "neo4j": type(exc).__name__}
    return {"status": "ready", "neo4j": "ok", "schema": "applied"}
