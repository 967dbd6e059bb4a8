"""`graphsvc check [--repair]`: a thin shell over graphsvc/graph/check.py's audit and repair."""

import asyncio
import time

import typer
from neo4j.exceptions import ServiceUnavailable

from graphsvc.cli.common import fail
from graphsvc.config import get_settings
from graphsvc.graph.check import Report, audit
from graphsvc.graph.check import repair as repair_graph
from graphsvc.graph.db import create_async_driver


def check(
    repair: bool = typer.Option(False, "--repair", help="rebuild or remove broken connections"),
) -> None:
    """Audit every connection (both edges, matching properties, roles); exit 1 if any problem stays."""
    settings = get_settings()

    async def run() -> Report:
        async with create_async_driver(settings) as driver:
            report = await audit(driver, settings.neo4j_database)
            if repair and report.problems:
                report = await repair_graph(driver, settings.neo4j_database, report)
            return report

    started = time.monotonic()
    try:
        report = asyncio.run(run())
    except (ServiceUnavailable, OSError) as exc:
        raise fail(f"Neo4j at {settings.neo4j_uri} is unreachable: {exc}") from None
    elapsed = time.monotonic() - started
    typer.echo(
        f"checked {report.connections_checked} connections in {elapsed:.1f}s: "
        f"{len(report.problems)} problem(s)"
    )
    for what, count in sorted(report.counts().items()):
        typer.echo(f"  {count:>8}  {what}")
    for problem in report.problems[:20]:
        typer.echo(f"  - {problem.connection_id or '-'}: {problem.what}")
    if repair:
        typer.echo(
            f"repaired {len(report.repaired)}, removed {len(report.removed)}, "
            f"left {len(report.left)}"
        )
        for problem in report.left[:20]:
            typer.echo(f"  left: {problem.connection_id or '-'}: {problem.what}")
    if report.problems and not (repair and not report.left):
        raise typer.Exit(1)
