"""The FastAPI application: lifespan (one driver per process), routers, error handlers."""

import asyncio
import logging
import math
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from neo4j import AsyncDriver
from neo4j.exceptions import AuthError, Neo4jError, ServiceUnavailable, SessionExpired

from graphsvc import __version__
from graphsvc.api import batch, browser, connections, health, records, roles, traversals
from graphsvc.api.errors import document_errors, install_error_handlers
from graphsvc.api.http import HeadAsGet, JsonBodiesOnly
from graphsvc.api.security import BodyLimit, parse_keys, require_key
from graphsvc.config import Settings, get_settings
from graphsvc.errors import UnavailableError
from graphsvc.graph.db import apply_schema_async, create_async_driver

log = logging.getLogger("graphsvc")


class Database:
    """The process's driver, plus whether the schema has been applied to the server.

    When Neo4j refuses the credentials, every request would try them again, and Neo4j locks an
    account after a few failed logins (`dbms.security.auth_max_failed_attempts`), so the driver
    is not handed out for a while after each refusal (5 s, doubling to 60 s): requests get 503
    with Retry-After at once, and the log says why once per attempt."""

    def __init__(self, driver: AsyncDriver, settings: Settings) -> None:
        self._driver = driver
        self.settings = settings
        self.database = settings.neo4j_database
        self.schema_applied = False
        self._lock = asyncio.Lock()
        self.auth_failures = 0
        self._auth_retry_at = 0.0

    @property
    def driver(self) -> AsyncDriver:
        wait = self._auth_retry_at - time.monotonic()
        if wait > 0:
            raise UnavailableError(
                "Neo4j refused graphsvc's credentials; an operator must fix NEO4J_USER / "
                "NEO4J_PASSWORD",
                retry_after=math.ceil(wait),
            )
        return self._driver

    def auth_failed(self, exc: AuthError) -> None:
        self.auth_failures += 1
        wait = min(60, 5 * 2 ** (self.auth_failures - 1))
        self._auth_retry_at = time.monotonic() + wait
        log.error(
            "Neo4j at %s refused the credentials of user '%s' (%s): NEO4J_PASSWORD (or "
            "NEO4J_USER) is wrong%s; requests get 503, next attempt in %d s",
            self.settings.neo4j_uri,
            self.settings.neo4j_user,
            exc.code or "authentication failure",
            "" if self.settings.neo4j_password.get_secret_value() else " (it is empty)",
            wait,
        )

    async def ensure_schema(self) -> None:
        """Apply the schema once; retried on each readiness probe until Neo4j answers."""
        if self.schema_applied:
            return
        async with self._lock:
            if not self.schema_applied:
                try:
                    await apply_schema_async(self.driver, self.database)
                except AuthError as exc:
                    self.auth_failed(exc)
                    raise
                self.schema_applied = True
                self.auth_failures = 0


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        driver = create_async_driver(settings)
        app.state.db = Database(driver, settings)
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
            await driver.close()

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
    # Outermost last: HEAD becomes GET, then the body's type, then its size.
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
