"""The graph handle: the one owner of the driver, the database name, the transaction timeout and
the schema. Every product path (API, CLI, loader, import, check) opens one per process and hands
it to the repository and the batch writer; all of them use the async driver."""

import asyncio
from types import TracebackType

from neo4j import AsyncDriver

from graphsvc.config import Settings
from graphsvc.graph.db import apply_schema_async, create_async_driver


class Graph:
    def __init__(self, driver: AsyncDriver, database: str, timeout: float | None = None) -> None:
        self.driver = driver
        self.database = database
        self.timeout = timeout  # seconds; Neo4j stops a transaction that runs longer
        self.schema_applied = False
        self._lock = asyncio.Lock()

    @classmethod
    def open(cls, settings: Settings, timeout: float | None = None) -> "Graph":
        return cls(create_async_driver(settings), settings.neo4j_database, timeout)

    async def ensure_schema(self) -> None:
        """Apply the schema once (idempotent: `IF NOT EXISTS`); retried until Neo4j answers."""
        if self.schema_applied:
            return
        async with self._lock:
            if not self.schema_applied:
                await apply_schema_async(self.driver, self.database)
                self.schema_applied = True

    async def close(self) -> None:
        await self.driver.close()

    async def __aenter__(self) -> "Graph":
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
