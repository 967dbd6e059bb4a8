"""`graphsvc schema apply`: the constraints and indexes in cypher/schema/."""

import asyncio

import typer

from graphsvc.cli.common import fail
from graphsvc.config import get_settings
from graphsvc.graph.db import apply_schema_async, create_async_driver


def apply() -> None:
    """Create the constraints and indexes that are missing (safe to run again)."""
    settings = get_settings()

    async def run() -> int:
        async with create_async_driver(settings) as driver:
            return await apply_schema_async(driver, settings.neo4j_database)

    try:
        count = asyncio.run(run())
    except Exception as exc:  # the driver's errors are many; the user needs one line
        raise fail(f"could not apply the schema on {settings.neo4j_uri}: {exc}") from None
    typer.echo(f"schema applied ({count} statements, all IF NOT EXISTS)")
