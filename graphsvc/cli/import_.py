"""`graphsvc neo4j import`: a thin shell over graphsvc/offline_import/'s run_import."""

from pathlib import Path

import typer

from graphsvc.cli.common import fail
from graphsvc.config import get_settings
from graphsvc.neo4j_local import LauncherError


def neo4j_import(
    roles: str = typer.Option(..., help="the roles file (as for `graphsvc load roles`)"),
    records: str = typer.Option(..., help="the records file"),
    connections: str = typer.Option(..., help="the connections file"),
    overwrite: bool = typer.Option(False, help="replace an existing database and its data"),
    skip_rejected: bool = typer.Option(
        False,
        help="import the valid rows even when some are rejected (they go to the rejects files, "
        "and the command still exits 1); by default one rejected row stops the import before "
        "anything is written",
    ),
) -> None:
    """First load into an empty, stopped local Neo4j with neo4j-admin import (much faster than
    `graphsvc load`); then start it, apply the schema and create the roles."""
    from graphsvc.offline_import import OfflineImportError, run_import

    try:
        s = run_import(
            get_settings(),
            Path(roles),
            Path(records),
            Path(connections),
            overwrite,
            skip_rejected=skip_rejected,
        )
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
