"""`graphsvc demo`: a thin shell over graphsvc/demo.py's sample graph."""

import asyncio

import typer

from graphsvc.cli.common import fail
from graphsvc.config import get_settings
from graphsvc.demo import load_demo
from graphsvc.graph.db import apply_schema_async, create_async_driver
from graphsvc.graph.handle import Graph
from graphsvc.graph.repository import Repository


def demo() -> None:
    """Load a small sample (referrals 4 deep, accounts, friends); safe to run again."""
    settings = get_settings()

    async def run() -> tuple[int, int]:
        async with create_async_driver(settings) as driver:
            await apply_schema_async(driver, settings.neo4j_database)
            report = await load_demo(Repository(Graph(driver, settings.neo4j_database)))
            return report.created, report.existing

    try:
        created, existing = asyncio.run(run())
    except Exception as exc:  # the driver's errors are many; the user needs one line
        raise fail(f"could not load the demo into {settings.neo4j_uri}: {exc}") from None
    typer.echo(f"demo loaded: {created} created, {existing} already there")
    typer.echo(
        f"Neo4j Browser: http://127.0.0.1:{settings.neo4j_http_port}/browser/ "
        "(the graphsvc guide opens on connect while `graphsvc serve` runs)"
    )
