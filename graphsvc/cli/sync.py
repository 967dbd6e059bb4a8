"""`graphsvc sync dataverse`: a thin shell over graphsvc/sync/command.py."""

from pathlib import Path

import typer

from graphsvc.cli.common import fail, report_changes
from graphsvc.config import get_settings


def dataverse(
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
    from graphsvc.sync import command

    settings = get_settings()
    try:
        if status:
            rows = command.statuses(settings)
            if not rows:
                typer.echo("no table synced yet")
            for org in dict.fromkeys(r["org"] for r in rows if r["running"]):
                running = next(r["running"] for r in rows if r["org"] == org)
                typer.echo(f"{org}: a run is syncing it now ({running})")
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
            report_changes,
        )
    except command.SyncStop as exc:
        raise fail(str(exc)) from None
    if failed:
        typer.echo(
            f"{failed} row(s) failed; they are in {rejects_dir}/TABLE.rejects.json", err=True
        )
        raise typer.Exit(1)
