"""The async driver (one per process, owned by `graph.handle.Graph`) and the schema in
`cypher/schema/`."""

import asyncio
import contextlib
import logging
from collections.abc import Callable

from neo4j import AsyncDriver, AsyncGraphDatabase, Driver, GraphDatabase
from neo4j.exceptions import DriverError, Neo4jError

from graphsvc import cypher
from graphsvc.config import Settings

# Neo4j reports hints such as "property key does not exist" (normal on an empty graph) for
# every query; they are noise in a service's log.
logging.getLogger("neo4j.notifications").setLevel(logging.ERROR)


def _auth(settings: Settings) -> tuple[str, str]:
    return settings.neo4j_user, settings.neo4j_password.get_secret_value()


def create_async_driver(settings: Settings) -> AsyncDriver:
    # 2 cores: a small pool is plenty and keeps Neo4j's worker threads for queries.
    return AsyncGraphDatabase.driver(
        settings.neo4j_uri,
        auth=_auth(settings),
        max_connection_pool_size=32,
        connection_acquisition_timeout=10.0,
        connection_timeout=5.0,
        max_transaction_retry_time=8.0,  # retry deadlocks and restarts for 8 s, then 503
        notifications_min_severity="OFF",
    )


def create_driver(settings: Settings) -> Driver:
    """A sync driver for tests and benchmarks that assert on Neo4j's state from plain threads;
    the product itself uses only the async driver, through `graph.handle.Graph`."""
    return GraphDatabase.driver(
        settings.neo4j_uri, auth=_auth(settings), notifications_min_severity="OFF"
    )


class IndexBuildFailed(Exception):
    """An index Neo4j could not build (SHOW INDEXES says why)."""


async def apply_schema_async(
    driver: AsyncDriver, database: str, on_progress: Callable[[int], None] | None = None
) -> int:
    """Create every constraint and index that is missing (idempotent: `IF NOT EXISTS`), then wait
    for every index to be online: at most 60 s, or with `on_progress` (how built the least built
    index is, in percent, every second) as long as it takes, as an import of a big graph needs."""
    statements = cypher.schema_statements()
    reporter = asyncio.create_task(_report(driver, database, on_progress)) if on_progress else None
    try:
        # The plain indexes first: Neo4j builds them in the background while each constraint,
        # which answers only once its own index is built, is created, so on an imported graph
        # the builds overlap instead of each waiting for the constraints before it.
        for statement in sorted(statements, key=lambda s: s.startswith("CREATE CONSTRAINT")):
            await driver.execute_query(statement, database_=database)
    finally:
        if reporter:
            reporter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reporter
    if on_progress is None:
        await driver.execute_query("CALL db.awaitIndexes(60)", database_=database)
        return len(statements)
    while building := await _building(driver, database):
        on_progress(min(building))
        await asyncio.sleep(1)
    return len(statements)


async def _building(driver: AsyncDriver, database: str) -> list[int]:
    """How built each index not yet online is, in percent; an index that failed is an error."""
    rows, _, _ = await driver.execute_query(cypher.load("indexes_state"), database_=database)
    if failed := [r["name"] for r in rows if r["state"] == "FAILED"]:
        raise IndexBuildFailed(f"Neo4j could not build index {', '.join(failed)}")
    return [int(r["percent"]) for r in rows if r["state"] != "ONLINE"]


async def _report(driver: AsyncDriver, database: str, on_progress: Callable[[int], None]) -> None:
    while True:  # until cancelled, once the statements are done
        await asyncio.sleep(1)
        try:
            building = await _building(driver, database)
        except (IndexBuildFailed, Neo4jError, DriverError):
            continue  # progress only: the statements and the wait after them say what failed
        if building:
            on_progress(min(building))
