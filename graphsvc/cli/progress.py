"""How a long load shows its progress: a bar on a terminal, a line every 2 s otherwise."""

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from graphsvc.loader import Summary


@contextmanager
def load_progress(kind: str, total: int | None) -> Iterator[Callable[[Summary], None]]:
    """The callback the loader calls after each batch."""
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

            def bar(s: Summary) -> None:
                progress.update(task, completed=s.rows, rate=s.rate)

            yield bar
        return
    last = [0.0]

    def line(s: Summary) -> None:
        if time.monotonic() - last[0] >= 2.0:
            last[0] = time.monotonic()
            of = f"/{total}" if total else ""
            typer.echo(
                f"{kind}: {s.rows}{of} rows, {s.rate:,.0f} rows/s, {s.failed} failed", err=True
            )

    yield line
