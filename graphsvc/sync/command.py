"""What `graphsvc sync dataverse` does, for the thin command in graphsvc/cli/sync.py: runs once or
every N seconds, prints progress and a summary per table, `--status`; raises `SyncStop` with a
message when it cannot go on."""

import asyncio
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from neo4j.exceptions import AuthError, Neo4jError, ServiceUnavailable, SessionExpired

from graphsvc.config import Settings
from graphsvc.dataverse.changes import DEFAULT_TABLES
from graphsvc.dataverse.client import DataverseClient, DataverseError
from graphsvc.graph.handle import Graph
from graphsvc.sync.lease import SyncLease
from graphsvc.sync.run import Sync, TableSummary
from graphsvc.sync.state import LeaseError, SyncStore

_INTERVAL = re.compile(r"^(\d+)\s*(s|m|h)?$")
_TABLE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


class SyncStop(Exception):
    """The sync cannot go on; the message says why."""


def parse_interval(text: str) -> float:
    match = _INTERVAL.match(text.strip().lower())
    if not match or int(match.group(1)) == 0:
        raise SyncStop(f"--every takes a duration such as 30s, 5m or 1h, not '{text}'")
    return int(match.group(1)) * {"s": 1, "m": 60, "h": 3600}[match.group(2) or "s"]


def parse_tables(text: str | None) -> list[str]:
    tables = [t.strip() for t in (text or ",".join(DEFAULT_TABLES)).split(",") if t.strip()]
    bad = [t for t in tables if not _TABLE.match(t)]
    if not tables or bad:
        raise SyncStop(f"--tables takes entity set names such as contacts, not {bad or text!r}")
    return tables


def check_url(url: str | None) -> str:
    if not url or not re.match(r"^https://[A-Za-z0-9.-]+(:\d+)?/?$", url):
        raise SyncStop(
            f"--url must be the org's https address, e.g. https://contoso.crm.dynamics.com, not {url!r}"
        )
    return url.rstrip("/")


async def _runs(
    settings: Settings,
    url: str,
    tables: list[str],
    every: float | None,
    rejects_dir: Path,
    echo: Callable[[str], None],
    report: Callable[[TableSummary], None],
) -> int:
    """One run, or one every `every` seconds with the same driver and token cache until
    stopped; returns the failed rows of the last run."""
    last = [0.0]

    def progress(s: TableSummary) -> None:
        if time.monotonic() - last[0] >= 2.0 or not sys.stderr.isatty():
            last[0] = time.monotonic()
            echo(
                f"{s.table}: page {s.pages}, {s.rows} rows, {s.rate:,.0f} rows/s, {s.failed} failed"
            )

    async with Graph.open(settings, timeout=settings.load_timeout) as graph:
        await graph.ensure_schema()
        # The lease first: a run refused it has not asked the org for anything.
        lease = SyncLease(SyncStore(graph.driver, graph.database), url.lower())
        async with lease, DataverseClient(settings, url) as client:
            sync = Sync(graph, client, lease, rejects_dir, progress)
            while True:
                started, throttled, waited = time.monotonic(), client.throttled, client.waited
                summaries = await sync.run(tables)
                if client.throttled > throttled:
                    echo(
                        f"throttled {client.throttled - throttled} time(s); waited "
                        f"{client.waited - waited:.0f} s (Retry-After)"
                    )
                for summary in summaries:
                    report(summary)
                failed = sum(s.failed for s in summaries)
                if every is None:
                    return failed
                await asyncio.sleep(max(every - (time.monotonic() - started), 0.0))


def run_sync(
    settings: Settings,
    url: str,
    tables: list[str],
    every: float | None,
    rejects_dir: Path,
    echo: Callable[[str], None],
    report: Callable[[TableSummary], None],
) -> int:
    """Failed rows of the run (with --every it only returns by an error or Ctrl-C)."""
    try:
        return asyncio.run(_runs(settings, url, tables, every, rejects_dir, echo, report))
    except (DataverseError, LeaseError) as exc:
        raise SyncStop(str(exc)) from None
    except (ServiceUnavailable, SessionExpired, OSError) as exc:
        raise SyncStop(
            f"Neo4j at {settings.neo4j_uri} is unavailable ({exc}); every page before this "
            "one is committed and recorded: run the same command again to resume."
        ) from None
    except AuthError as exc:
        raise SyncStop(f"Neo4j refused the credentials: {exc}") from None
    except Neo4jError as exc:
        raise SyncStop(f"Neo4j failed a page ({exc.code}: {exc.message})") from None
    except KeyboardInterrupt:
        raise SyncStop("stopped; the next run resumes from the last committed page") from None


def statuses(settings: Settings) -> list[dict[str, Any]]:
    async def go() -> list[dict[str, Any]]:
        async with Graph.open(settings) as graph:
            await graph.ensure_schema()
            return await SyncStore(graph.driver, graph.database).statuses()

    try:
        return asyncio.run(go())
    except (ServiceUnavailable, OSError) as exc:
        raise SyncStop(f"Neo4j at {settings.neo4j_uri} is unreachable: {exc}") from None
