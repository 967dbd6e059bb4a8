"""The `graphsvc` command: serve, demo, neo4j start|stop|status, schema apply."""

import asyncio
import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import typer
import uvicorn
from neo4j.exceptions import ServiceUnavailable

from graphsvc.api.security import SCOPES, digest, new_key, parse_keys
from graphsvc.config import get_settings
from graphsvc.demo import load_demo
from graphsvc.graph.check import Report, audit
from graphsvc.graph.check import repair as repair_graph
from graphsvc.graph.db import apply_schema_async, create_async_driver
from graphsvc.graph.handle import Graph
from graphsvc.graph.repository import Repository
from graphsvc.neo4j_local import LauncherError, LocalNeo4j

if TYPE_CHECKING:
    from pathlib import Path

    from graphsvc.sync.run import TableSummary

app = typer.Typer(
    help="graphsvc: CRM connections in Neo4j.", no_args_is_help=True, pretty_exceptions_enable=False
)
neo4j_app = typer.Typer(
    help="The local Neo4j Community server (no Docker needed).", no_args_is_help=True
)
schema_app = typer.Typer(help="The Neo4j schema in cypher/schema/.", no_args_is_help=True)
app.add_typer(neo4j_app, name="neo4j")
app.add_typer(schema_app, name="schema")


def fail(message: str) -> typer.Exit:
    typer.secho(f"error: {message}", err=True, fg="red")
    return typer.Exit(1)


@neo4j_app.command("start")
def neo4j_start() -> None:
    """Fetch Neo4j from Maven Central (first time only), start it, wait until Bolt answers."""
    server = LocalNeo4j(get_settings())
    try:
        started = server.start()
    except LauncherError as exc:
        raise fail(str(exc)) from None
    st = server.status()
    if not started:
        typer.echo(f"Neo4j is already running (pid {st.pid}); nothing to do.")
        return
    typer.echo(
        f"Neo4j {st.version} started (pid {st.pid}): bolt://127.0.0.1:{st.bolt_port}, "
        f"Browser http://127.0.0.1:{st.http_port}/browser/ "
        "(user neo4j; `graphsvc neo4j status` shows the password)"
    )


@neo4j_app.command("stop")
def neo4j_stop() -> None:
    """Stop the local Neo4j cleanly (data is kept)."""
    try:
        stopped = LocalNeo4j(get_settings()).stop()
    except LauncherError as exc:
        raise fail(str(exc)) from None
    typer.echo("Neo4j stopped." if stopped else "Neo4j is not running; nothing to do.")


@neo4j_app.command("import")
def neo4j_import(
    roles: str = typer.Option(..., help="the roles file (as for `graphsvc load roles`)"),
    records: str = typer.Option(..., help="the records file"),
    connections: str = typer.Option(..., help="the connections file"),
    overwrite: bool = typer.Option(False, help="replace an existing database and its data"),
) -> None:
    """First load into an empty, stopped local Neo4j with neo4j-admin import (much faster than
    `graphsvc load`); then start it, apply the schema and create the roles."""
    from pathlib import Path

    from graphsvc.offline_import import OfflineImportError, run_import

    try:
        s = run_import(get_settings(), Path(roles), Path(records), Path(connections), overwrite)
    except (OfflineImportError, LauncherError, ValueError) as exc:
        raise fail(str(exc)) from None
    total = s.convert_seconds + s.import_seconds + s.finish_seconds
    typer.echo(
        f"imported {s.roles} roles, {s.records} records, {s.connections} connections "
        f"({2 * s.connections} edges) in {total:.1f} s: convert {s.convert_seconds:.1f} s, "
        f"neo4j-admin {s.import_seconds:.1f} s, start + schema + roles {s.finish_seconds:.1f} s"
    )
    if s.rejected:
        for line in s.failures:
            typer.echo(f"  {line}", err=True)
        rejected = ", ".join(f"{n} {kind}" for kind, n in s.rejected.items())
        typer.echo(f"rejected {rejected}: {', '.join(map(str, s.rejects))}", err=True)
        raise typer.Exit(1)


@neo4j_app.command("status")
def neo4j_status() -> None:
    """Version, pid, ports and data directory of the local Neo4j."""
    st = LocalNeo4j(get_settings()).status()
    typer.echo(f"state:   {'running' if st.running else 'stopped'}")
    typer.echo(f"version: Neo4j Community {st.version}")
    typer.echo(f"pid:     {st.pid if st.pid else '-'}")
    typer.echo(f"bolt:    bolt://127.0.0.1:{st.bolt_port}")
    typer.echo(f"http:    http://127.0.0.1:{st.http_port}/browser/")
    typer.echo(f"data:    {st.data_dir}")
    typer.echo(f"log:     {st.log}")
    settings = get_settings()
    source = settings.neo4j_password_source
    if source == "NEO4J_PASSWORD":
        typer.echo("password: from NEO4J_PASSWORD (user neo4j)")
    elif source:
        typer.echo(
            f"password: {settings.neo4j_password.get_secret_value()} "
            f"(user neo4j; generated on first start, kept in {source})"
        )
    else:
        typer.echo("password: none yet (generated on first start unless NEO4J_PASSWORD is set)")
    if not st.running:
        raise typer.Exit(3)  # like `neo4j status` and LSB: 3 = not running


@schema_app.command("apply")
def schema_apply() -> None:
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


@app.command()
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


@app.command()
def serve(
    host: str = typer.Option(None, help="bind address (default GRAPHSVC_HOST or 127.0.0.1)"),
    port: int = typer.Option(None, help="port (default GRAPHSVC_PORT or 8000)"),
    workers: int = typer.Option(1, help="uvicorn worker processes (Neo4j needs cores too)"),
) -> None:
    """Run the HTTP API with uvicorn."""
    settings = get_settings()
    host, port = host or settings.host, port or settings.port
    try:
        keys = parse_keys(settings.api_keys)
    except ValueError as exc:
        raise fail(str(exc)) from None
    if not keys:
        if host not in ("127.0.0.1", "localhost", "::1"):
            typer.secho(
                f"no API keys configured (GRAPHSVC_API_KEYS): binding to 127.0.0.1, "
                f"not {host}; create one with `graphsvc keys create`",
                fg="yellow",
            )
        else:
            typer.echo("no API keys configured: the API is open, on 127.0.0.1 only")
        host = "127.0.0.1"
    else:
        typer.echo(f"API keys required ({len(keys)} configured)")
    typer.echo(f"graphsvc API:  http://{host}:{port}/docs")
    typer.echo(
        f"Neo4j Browser: http://127.0.0.1:{settings.neo4j_http_port}/browser/ "
        f"(user {settings.neo4j_user})"
    )
    uvicorn.run(
        "graphsvc.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        # On SIGTERM, requests still running after 5 s are cancelled (their transactions roll
        # back): a deploy or Ctrl-C never waits on a slow client or a long batch.
        timeout_graceful_shutdown=5,
    )


keys_app = typer.Typer(help="API keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


@keys_app.command("create")
def keys_create(
    name: str = typer.Option(..., help="who or what uses the key (letters, digits, - _)"),
    scope: str = typer.Option("read", help="read (GET only) or write (everything)"),
) -> None:
    """Make a new API key: prints the key once, and the settings entry that stores its hash."""
    if scope not in SCOPES:
        raise fail(f"--scope must be read or write, not '{scope}'")
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", name):
        raise fail("--name must be 1-64 letters, digits, - or _")
    key = new_key()
    entry = f"{name}:{scope}:{digest(key)}"
    typer.echo(f"key (shown once, keep it secret): {key}")
    typer.echo("add this entry to GRAPHSVC_API_KEYS (comma-separated), e.g. in .env:")
    typer.echo(f"GRAPHSVC_API_KEYS={entry}")


# --- load ---------------------------------------------------------------------------------------
load_app = typer.Typer(
    help="Load roles, records or connections from CSV, JSON Lines or a Dataverse export.",
    no_args_is_help=True,
)
app.add_typer(load_app, name="load")
FORMAT_HELP = (
    "csv, jsonl, dataverse or dataverse-delta (a change-tracking page; default: from the file's "
    "suffix: .csv, .jsonl, .json)"
)
BATCH_HELP = "rows per transaction (one UNWIND statement each)"
REJECTS_HELP = "where failed rows go (default: FILE's name + .rejects, same format)"


def _load(
    kind: str, file: str, fmt: str | None, batch_size: int, rejects: str | None, assoc: str | None
) -> None:
    import sys
    import time
    from pathlib import Path
    from typing import cast

    from neo4j.exceptions import AuthError, Neo4jError, ServiceUnavailable, SessionExpired
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from graphsvc import loader
    from graphsvc.graph.batch import BatchWriter, upsert_roles

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
    what = cast(loader.Kind, kind)
    settings = get_settings()

    rejects_writer = loader.RejectsWriter(
        Path(rejects) if rejects else loader.rejects_path(path), form
    )
    rows = loader.read_rows(path, what, form, Path(assoc) if assoc else None)

    async def run(on_batch: Callable[[loader.Summary], None]) -> loader.Summary:
        async with Graph.open(settings, timeout=settings.load_timeout) as graph:
            await graph.ensure_schema()
            if kind != "roles":
                writer = BatchWriter(graph)
                return await loader.load(writer, what, rows, rejects_writer, batch_size, on_batch)
            started = time.monotonic()
            items = list(rows)
            repo = Repository(graph)
            result = await upsert_roles(repo, [(r.number, r.data) for r in items])
            summary = loader.load_roles_summary(result, items, rejects_writer)
            summary.elapsed = time.monotonic() - started
            return summary

    summary = loader.Summary()
    try:
        if kind == "roles":
            summary = asyncio.run(run(lambda s: None))
        else:
            total = loader.count_rows(path, form)
            if sys.stderr.isatty():
                columns = (
                    TextColumn(f"{kind}"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    TextColumn("{task.fields[rate]:,.0f} rows/s"),
                    TimeRemainingColumn(),
                )
                with Progress(*columns, transient=False) as progress:
                    task = progress.add_task(kind, total=total, rate=0.0)

                    def bar(s: loader.Summary) -> None:
                        progress.update(task, completed=s.rows, rate=s.rate)

                    summary = asyncio.run(run(bar))
            else:
                last = [0.0]

                def line(s: loader.Summary) -> None:
                    if time.monotonic() - last[0] >= 2.0:
                        last[0] = time.monotonic()
                        of = f"/{total}" if total else ""
                        typer.echo(
                            f"{kind}: {s.rows}{of} rows, {s.rate:,.0f} rows/s, {s.failed} failed",
                            err=True,
                        )

                summary = asyncio.run(run(line))
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
        rejects_writer.close()
    typer.echo(
        f"{kind}: {summary.rows} rows in {summary.elapsed:.1f} s ({summary.rate:,.0f} rows/s): "
        f"{summary.created} created, {summary.updated} updated, {summary.unchanged} unchanged, "
        f"{summary.failed} failed"
    )
    if summary.failed:
        for number, row_id, error in summary.failures[:10]:
            typer.echo(f"  row {number} ({row_id or 'no id'}): {error}", err=True)
        typer.echo(f"rejects: {rejects_writer.path} (fix and load it again)", err=True)
        raise typer.Exit(1)


def _load_delta(kind: str, path: "Path", rejects: str | None) -> None:
    from pathlib import Path

    from neo4j.exceptions import Neo4jError, ServiceUnavailable

    from graphsvc import loader
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
    _report_changes(summary)
    if summary.failed:
        typer.echo(f"rejects: {writer.path} (fix and load it again)", err=True)
        raise typer.Exit(1)


def _report_changes(summary: "TableSummary") -> None:
    typer.echo(summary.line())
    for row_id, error in summary.failures[:10]:
        typer.echo(f"  {row_id or 'no id'}: {error}", err=True)


@load_app.command("roles")
def load_roles(
    file: str = typer.Argument(..., help="the roles file"),
    format: str = typer.Option(None, "--format", help=FORMAT_HELP),
    associations: str = typer.Option(
        None, help="Dataverse connectionroleassociations export: the reciprocal roles"
    ),
    rejects: str = typer.Option(None, help=REJECTS_HELP),
) -> None:
    """Upsert connection roles by id (or by name when a row has no id)."""
    _load("roles", file, format, 1, rejects, associations)


@load_app.command("records")
def load_records(
    file: str = typer.Argument(..., help="the records file"),
    format: str = typer.Option(None, "--format", help=FORMAT_HELP),
    batch_size: int = typer.Option(2_000, help=BATCH_HELP),
    rejects: str = typer.Option(None, help=REJECTS_HELP),
) -> None:
    """Upsert records by id (each replaced as by PUT /records/{id})."""
    _load("records", file, format, batch_size, rejects, None)


@load_app.command("connections")
def load_connections(
    file: str = typer.Argument(..., help="the connections file"),
    format: str = typer.Option(None, "--format", help=FORMAT_HELP),
    batch_size: int = typer.Option(2_000, help=BATCH_HELP),
    rejects: str = typer.Option(None, help=REJECTS_HELP),
) -> None:
    """Upsert connections by connection id: both edges per row or none; re-loading the same file
    changes nothing. Records and roles must be loaded first."""
    _load("connections", file, format, batch_size, rejects, None)


@app.command()
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


# --- sync ---------------------------------------------------------------------------------------
sync_app = typer.Typer(help="Keep the graph in step with a live system.", no_args_is_help=True)
app.add_typer(sync_app, name="sync")


@sync_app.command("dataverse")
def sync_dataverse(
    url: str = typer.Option(None, help="the org, e.g. https://contoso.crm.dynamics.com"),
    tables: str = typer.Option(
        None,
        help="entity sets, in order (default connectionroles,connectionroleassociations,"
        "contacts,accounts,connections)",
    ),
    once: bool = typer.Option(False, "--once", help="one run, then exit (the default)"),
    every: str = typer.Option(None, help="run again every interval, e.g. 30s, 5m"),
    status: bool = typer.Option(False, "--status", help="each table's last sync and counts"),
    rejects_dir: str = typer.Option(".", help="where rows that failed go (TABLE.rejects.json)"),
) -> None:
    """Apply a Dataverse org's changes (change tracking) to the graph; resumable, idempotent."""
    from pathlib import Path

    from graphsvc.sync import command

    settings = get_settings()
    try:
        if status:
            rows = command.statuses(settings)
            if not rows:
                typer.echo("no table synced yet")
            for r in rows:
                typer.echo(
                    f"{r['org']} {r['table']}: last sync {r['synced_at'] or 'never finished'}"
                    f"{' (a run stopped mid-way; the next resumes it)' if r['mid_run'] else ''}; "
                    f"{r['pages']} page(s): {r['created']} created, {r['updated']} updated, "
                    f"{r['unchanged']} unchanged, {r['deleted']} deleted, {r['failed']} failed"
                    + (
                        f"; role deletes waiting: {', '.join(r['pending_deletes'])}"
                        if r["pending_deletes"]
                        else ""
                    )
                )
            return
        if once and every:
            raise command.SyncStop("give --once or --every, not both")
        org = command.check_url(url)
        interval = command.parse_interval(every) if every else None
        failed = command.run_sync(
            settings,
            org,
            command.parse_tables(tables),
            interval,
            Path(rejects_dir),
            lambda line: typer.echo(line, err=True),
            _report_changes,
        )
    except command.SyncStop as exc:
        raise fail(str(exc)) from None
    if failed:
        typer.echo(
            f"{failed} row(s) failed; they are in {rejects_dir}/TABLE.rejects.json", err=True
        )
        raise typer.Exit(1)


# --- export -------------------------------------------------------------------------------------
@app.command("export")
def export_command(
    kind: str = typer.Argument(..., help="roles, records or connections"),
    file: str = typer.Argument(..., help="where to write (replaced when complete)"),
    format: str = typer.Option(None, "--format", help="csv or jsonl (default: from the suffix)"),
) -> None:
    """Write every role, record or connection in the loader's format, in id order (streamed):
    `graphsvc load` reads it back into the same graph."""
    import sys
    from pathlib import Path
    from typing import cast

    from neo4j.exceptions import Neo4jError, ServiceUnavailable

    from graphsvc import export

    if kind not in ("roles", "records", "connections"):
        raise fail("export roles, records or connections")
    path = Path(file)
    if format is not None and format not in ("csv", "jsonl"):
        raise fail("--format must be csv or jsonl")
    try:
        fmt = cast(export.Format, format) if format else export.detect_format(path)
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
            return await export.export(
                driver, settings.neo4j_database, cast(export.Kind, kind), path, fmt, progress
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
    typer.echo(export.rate_line(kind, rows, time.monotonic() - started, path))
