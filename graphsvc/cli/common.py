"""What every command shares: the one-line error exit and the per-table change report."""

from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from graphsvc.sync.run import TableSummary


def fail(message: str) -> typer.Exit:
    typer.secho(f"error: {message}", err=True, fg="red")
    return typer.Exit(1)


def report_changes(summary: "TableSummary") -> None:
    typer.echo(summary.line())
    for row_id, error in summary.failures[:10]:
        typer.echo(f"  {row_id or 'no id'}: {error}", err=True)
