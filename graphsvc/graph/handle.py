"""The graph handle: the one owner of the driver, the database name, the transaction timeout and
the schema. Every product path (API, CLI, loader, import, check) opens one per process and hands
it to the repository and the batch writer; all of them use the async driver.

When Neo4j refuses the credentials, every request would try them again, and Neo4j locks an
account after a few failed logins (`dbms.security.auth_max_failed_attempts`), so the driver is
not handed out for a while after each refusal (5 s, doubling to 60 s): callers get 503 with
Retry-After at once, and the log says why once per attempt."""

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import TypeVar

from neo4j import AsyncDriver, AsyncManagedTransaction, unit_of_work
from neo4j.exceptions import AuthError, ClientError, ServiceUnavailable

from graphsvc.config import Settings
from graphsvc.errors import ConflictError, UnavailableError
from graphsvc.graph.db import apply_schema_async, create_async_driver

log = logging.getLogger("graphsvc")
T = TypeVar("T")

# Neo4j reads committed data: a transaction that found a node and then waits for its lock while
# another transaction deletes it gets EntityNotFound ("Unable to load NODE") when it touches the
# node, or sees it with no properties. Either is a lost race, not a bad query: `Graph.write` runs
# the unit of work again (it saw nothing stable yet), and the new attempt finds the node gone.
ENTITY_GONE = "Neo.ClientError.Statement.EntityNotFound"
WRITE_ATTEMPTS = 5
SILENT_GRACE = 30.0  # seconds past a write's own limits before Neo4j counts as gone silent


class DeletedUnderUs(Exception):
    """Raised by a unit of work that found a node deleted by a concurrent transaction (a row
    without its `id`): `Graph.write` runs the work again."""


def live_ids(ids: list[str | None]) -> list[str]:
    """The record ids along a path a statement read (a loop's chain); a null id is a record a
    concurrent transaction deleted while the statement read it."""
    if any(i is None for i in ids):
        raise DeletedUnderUs
    return [i for i in ids if i is not None]


class Graph:
    def __init__(
        self,
        driver: AsyncDriver,
        database: str,
        timeout: float | None = None,
        settings: Settings | None = None,
    ) -> None:
        self._driver = driver
        self.database = database
        self.timeout = timeout  # seconds; Neo4j stops a transaction that runs longer
        self.settings = settings  # for the log line on refused credentials
        self.schema_applied = False
        self._lock = asyncio.Lock()
        self.auth_failures = 0
        self._auth_retry_at = 0.0

    @classmethod
    def open(cls, settings: Settings, timeout: float | None = None) -> "Graph":
        return cls(create_async_driver(settings), settings.neo4j_database, timeout, settings)

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
        s = self.settings
        log.error(
            "Neo4j at %s refused the credentials of user '%s' (%s): NEO4J_PASSWORD (or "
            "NEO4J_USER) is wrong%s; requests get 503, next attempt in %d s",
            s.neo4j_uri if s else "?",
            s.neo4j_user if s else "?",
            exc.code or "authentication failure",
            "" if not s or s.neo4j_password.get_secret_value() else " (it is empty)",
            wait,
        )

    async def write(
        self,
        work: Callable[[AsyncManagedTransaction], Awaitable[T]],
        again: tuple[type[ClientError], ...] = (),
    ) -> T:
        """Run `work` in a write transaction with the time limit. The driver retries transient
        errors (deadlocks); this runs it again after a node was deleted under it (ENTITY_GONE)
        or an error of `again`, at most WRITE_ATTEMPTS times and while the first attempt is
        less than two time limits old, so that every write answers within a bounded time.
        Every write of the API, the batch path and the loader goes through here (`check
        --repair` and the sync's own state run their few writes on the driver directly)."""
        give_up = time.monotonic() + 2 * (self.timeout or 10.0)
        silent = 2 * (self.timeout or 10.0) + SILENT_GRACE
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            last = attempt == WRITE_ATTEMPTS or time.monotonic() > give_up
            deadline = asyncio.timeout(silent)
            try:
                async with self.driver.session(database=self.database) as session, deadline:
                    return await session.execute_write(unit_of_work(timeout=self.timeout)(work))
            except TimeoutError:
                if not deadline.expired():
                    raise  # a socket's, not this bound's
                # Neo4j stops the transaction at its limit (and the driver retries deadlocks for
                # 8 s), so no answer long after means a frozen Neo4j or a silent network, which
                # graphsvc's Neo4j no longer has the driver time out (neo4j_local.py write_conf):
                # what the API, loads and syncs already answer for an unreachable Neo4j.
                raise ServiceUnavailable(
                    f"Neo4j did not answer a write within {silent:g} s; it may or may not "
                    "have been applied"
                ) from None
            except DeletedUnderUs:
                if last:
                    break
            except again:
                if last:
                    raise
            except ClientError as exc:
                if exc.code != ENTITY_GONE:
                    raise
                if last:
                    break
        raise ConflictError(
            "the records of this write were deleted and written again while it ran; retry"
        )

    async def ensure_schema(self) -> None:
        """Apply the schema once (idempotent: `IF NOT EXISTS`); retried until Neo4j answers."""
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

    async def close(self) -> None:
        await self._driver.close()

    async def __aenter__(self) -> "Graph":
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
