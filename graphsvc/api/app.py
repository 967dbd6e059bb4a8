"""The FastAPI application: lifespan (one driver per process), routers, error handlers."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from neo4j.exceptions import AuthError, Neo4jError, ServiceUnavailable, SessionExpired

from graphsvc import __version__
from graphsvc.api import batch, browser, connections, health, records, roles, traversals
from graphsvc.api.errors import document_errors, install_error_handlers
from graphsvc.api.http import Deadline, HeadAsGet, JsonBodiesOnly
from graphsvc.api.security import BodyLimit, parse_keys, require_key
from graphsvc.config import Settings, get_settings
from graphsvc.graph.handle import Graph

log = logging.getLogger("graphsvc")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.db = Graph.open(settings, timeout=settings.query_timeout)
        try:
            await app.state.db.ensure_schema()
        except AuthError:
            pass  # logged by ensure_schema, with the cause
        except (ServiceUnavailable, SessionExpired, Neo4jError, OSError) as exc:
            # Start anyway: /ready says 503 and the schema is applied once Neo4j answers.
            log.warning("Neo4j not ready at start-up (%s); /ready will retry", type(exc).__name__)
        try:
            yield
        finally:
            await app.state.db.close()

    app = FastAPI(
        title="graphsvc",
        version=__version__,
        description="CRM records and Dynamics-style connections, kept in Neo4j as pairs of "
        "role-labelled edges, with multi-hop traversals.",
        lifespan=lifespan,
        dependencies=[Depends(require_key)],
    )
    app.state.api_keys = parse_keys(settings.api_keys)
    app.state.query_timeout = settings.query_timeout
    # Outermost last: HEAD becomes GET, then the body's type, then its size, then the deadline.
    app.add_middleware(Deadline, seconds=settings.request_deadline)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(JsonBodiesOnly)
    app.add_middleware(HeadAsGet)
    install_error_handlers(app)
    document_errors(app)
    app.include_router(health.router)
    app.include_router(records.router)
    app.include_router(roles.router)
    app.include_router(connections.router)
    app.include_router(batch.router)
    app.include_router(browser.router)
    app.include_router(traversals.router)
    return app
