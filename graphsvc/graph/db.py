"""The async driver (one per process, owned by `graph.handle.Graph`) and the schema in
`cypher/schema/`."""

import logging

from neo4j import AsyncDriver, AsyncGraphDatabase, Driver, GraphDatabase

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


async def apply_schema_async(driver: AsyncDriver, database: str) -> int:
    """Create every constraint and index that is missing (idempotent: `IF NOT EXISTS`)."""
    statements = cypher.schema_statements()
    for statement in statements:
        await driver.execute_query(statement, database_=database)
    await driver.execute_query("CALL db.awaitIndexes(60)", database_=database)
    return len(statements)
