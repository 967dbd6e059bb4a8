"""`graphsvc export`: a thin shell over graphsvc/export.py (what `graphsvc load` reads back)."""

import asyncio
import sys
import time
from pathlib import Path
from typing import cast

import typer
from neo4j.exceptions import Neo4jError, ServiceUnavailable

from graphsvc import export as core
from graphsvc.cli.common import fail
from graphsvc.config import get_settings
from graphsvc.graph.db import create_async_driver


def export(
    kind: str = typer.Argument(..., help="roles, records or connections"),
    file: str = typer.Argument(..., help="where to write (replaced when complete)"),
    format: str = typer.Option(None, "--format", help="csv or jsonl (default: from the suffix)"),
) -> None:
    """Write every role, record or connection in the loader's format, in id order (streamed):
    `graphsvc load` reads it back into the same graph."""
    if kind not in ("roles", "records", "connections"):
        raise fail("export roles, records or connections")
    path = Path(file)
    if format is not None and format not in ("csv", "jsonl"):
        raise fail("--format must be csv or jsonl")
    try:
        fmt = cast(core.Format, format) if format else core.detect_format(path)
    except ValueError as exc:
        raise fail(str(exc)) from None
    if not path.parent.is_dir():
        raise fail(f"no such directory: {path.parent}")
    settings = get_settings()

    def progress(rows: int) -> None:
        if not sys.stderr.isatty() and rows % 100_000:
            return
        typer.echo(f"{kind}: {rows} rows", err=True)

    async def run() -> int:
        async with create_async_driver(settings) as driver:
            return await core.export(
                driver, settings.neo4j_database, cast(core.Kind, kind), path, fmt, progress
            )

    started = time.monotonic()
    try:
        rows = asyncio.run(run())
    except (ServiceUnavailable, OSError) as exc:
        raise fail(f"export failed ({exc}); {path} was not written") from None
    except Neo4jError as exc:
        raise fail(
            f"Neo4j failed the export ({exc.code}: {exc.message}); {path} was not written"
        ) from None
    typer.echo(core.rate_line(kind, rows, time.monotonic() - started, path))
