"""`graphsvc load roles|records|connections`: argument checks and messages around
graphsvc/loader.py (files) and graphsvc/graph/batch.py (the same writes as `POST /batch`)."""

import asyncio
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import cast

import typer
from neo4j.exceptions import AuthError, Neo4jError, ServiceUnavailable, SessionExpired

from graphsvc import loader
from graphsvc.cli.common import fail, report_changes
from graphsvc.cli.progress import load_progress
from graphsvc.config import Settings, get_settings
from graphsvc.graph.handle import Graph

FORMAT_HELP = (
    "csv, jsonl, dataverse or dataverse-delta (a change-tracking page; default: from the file's "
    "suffix: .csv, .jsonl, .json)"
)
BATCH_HELP = "rows per transaction (one UNWIND statement each)"
REJECTS_HELP = "where failed rows go (default: FILE's name + .rejects, same format)"


def roles(
    file: str = typer.Argument(..., help="the roles file"),
    format: str = typer.Option(None, "--format", help=FORMAT_HELP),
    associations: str = typer.Option(
        None, help="Dataverse connectionroleassociations export: the reciprocal roles"
    ),
    rejects: str = typer.Option(None, help=REJECTS_HELP),
) -> None:
    """Upsert connection roles by id (or by name when a row has no id)."""
    _load("roles", file, format, 1, rejects, associations)


def records(
    file: str = typer.Argument(..., help="the records file"),
    format: str = typer.Option(None, "--format", help=FORMAT_HELP),
    batch_size: int = typer.Option(2_000, help=BATCH_HELP),
    rejects: str = typer.Option(None, help=REJECTS_HELP),
) -> None:
    """Upsert records by id (each replaced as by PUT /records/{id})."""
    _load("records", file, format, batch_size, rejects, None)


def connections(
    file: str = typer.Argument(..., help="the connections file"),
    format: str = typer.Option(None, "--format", help=FORMAT_HELP),
    batch_size: int = typer.Option(2_000, help=BATCH_HELP),
    rejects: str = typer.Option(None, help=REJECTS_HELP),
) -> None:
    """Upsert connections by connection id: both edges per row or none; re-loading the same file
    changes nothing. Records and roles must be loaded first."""
    _load("connections", file, format, batch_size, rejects, None)


def _load(
    kind: str, file: str, fmt: str | None, batch_size: int, rejects: str | None, assoc: str | None
) -> None:
    path = Path(file)
    if not path.is_file():
        raise fail(f"no such file: {file}")
    if batch_size < 1 or batch_size > 50_000:
        raise fail("--batch-size must be between 1 and 50000")
    if fmt == "dataverse-delta":
        _load_delta(kind, path, rejects)
        return
    if fmt is not None and fmt not in ("csv", "jsonl", "dataverse"):
        raise fail("--format must be csv, jsonl, dataverse or dataverse-delta")
    try:
        form = cast(loader.Format, fmt) if fmt else loader.detect_format(path)
    except ValueError as exc:
        raise fail(str(exc)) from None
    settings = get_settings()
    writer = loader.RejectsWriter(Path(rejects) if rejects else loader.rejects_path(path), form)
    rows = loader.read_rows(path, cast(loader.Kind, kind), form, Path(assoc) if assoc else None)
    try:
        if kind == "roles":
            summary = asyncio.run(_write(settings, kind, rows, writer, batch_size, lambda s: None))
        else:
            with load_progress(kind, loader.count_rows(path, form)) as on_batch:
                summary = asyncio.run(_write(settings, kind, rows, writer, batch_size, on_batch))
    except (ServiceUnavailable, SessionExpired, OSError) as exc:
        raise fail(
            f"Neo4j at {settings.neo4j_uri} is unavailable ({exc}); the batches before this one "
            "are committed. Start Neo4j and run the same command again: loads are idempotent."
        ) from None
    except AuthError as exc:
        raise fail(f"Neo4j refused the credentials: {exc}") from None
    except Neo4jError as exc:
        raise fail(
            f"Neo4j failed a batch ({exc.code}: {exc.message}); the batches before it are "
            "committed. If it ran out of memory or past GRAPHSVC_LOAD_TIMEOUT "
            f"({settings.load_timeout:g} s), run the same command with a smaller --batch-size "
            "(or a longer timeout)."
        ) from None
    except ValueError as exc:
        raise fail(str(exc)) from None
    finally:
        writer.close()
    typer.echo(
        f"{kind}: {summary.rows} rows in {summary.elapsed:.2f} s ({summary.rate:,.0f} rows/s): "
        f"{summary.created} created, {summary.updated} updated, {summary.unchanged} unchanged, "
        f"{summary.failed} failed"
    )
    if summary.failed:
        for number, row_id, error in summary.failures[:10]:
            typer.echo(f"  row {number} ({row_id or 'no id'}): {error}", err=True)
        typer.echo(f"rejects: {writer.path} (fix and load it again)", err=True)
        raise typer.Exit(1)


async def _write(
    settings: Settings,
    kind: str,
    rows: Iterable[loader.Row],
    rejects: loader.RejectsWriter,
    batch_size: int,
    on_batch: Callable[[loader.Summary], None],
) -> loader.Summary:
    """Roles through the repository's role upsert, records and connections through the batch
    writer `POST /batch` uses."""
    from graphsvc.graph.batch import BatchWriter, upsert_roles
    from graphsvc.graph.repository import Repository

    async with Graph.open(settings, timeout=settings.load_timeout) as graph:
        await graph.ensure_schema()
        if kind != "roles":
            what = cast(loader.Kind, kind)
            return await loader.load(BatchWriter(graph), what, rows, rejects, batch_size, on_batch)
        started = time.monotonic()
        items = list(rows)
        result = await upsert_roles(Repository(graph), [(r.number, r.data) for r in items])
        summary = loader.load_roles_summary(result, items, rejects)
        summary.elapsed = time.monotonic() - started
        return summary


def _load_delta(kind: str, path: Path, rejects: str | None) -> None:
    from graphsvc.sync.files import load_delta_file
    from graphsvc.sync.run import TableSummary

    settings = get_settings()
    writer = loader.RejectsWriter(
        Path(rejects) if rejects else loader.rejects_path(path), "dataverse"
    )

    async def run() -> TableSummary:
        async with Graph.open(settings, timeout=settings.load_timeout) as graph:
            await graph.ensure_schema()
            return await load_delta_file(graph, path, kind, writer)

    try:
        summary = asyncio.run(run())
    except ValueError as exc:
        raise fail(str(exc)) from None
    except (ServiceUnavailable, OSError) as exc:
        raise fail(f"Neo4j at {settings.neo4j_uri} is unavailable ({exc}); load it again") from None
    except Neo4jError as exc:
        raise fail(f"Neo4j failed the page ({exc.code}: {exc.message}); load it again") from None
    finally:
        writer.close()
    report_changes(summary)
    if summary.failed:
        typer.echo(f"rejects: {writer.path} (fix and load it again)", err=True)
        raise typer.Exit(1)
