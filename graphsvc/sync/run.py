"""One sync run: for each table, follow its change-tracking pages from where the last run
stopped, apply each page, then save the table's state (see graphsvc.sync.state); all under the
org's lease (graphsvc.sync.lease), which the caller holds."""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graphsvc.dataverse.changes import (
    ROLES_TABLE,
    Page,
    PageError,
    read_page,
    row_ids,
    table_kind,
)
from graphsvc.dataverse.client import DataverseClient, DataverseError
from graphsvc.graph.handle import Graph
from graphsvc.loader import RejectsWriter, Row
from graphsvc.sync.apply import Applied, WritePath, apply_page, retry_role_deletes
from graphsvc.sync.lease import TTL, SyncLease
from graphsvc.sync.state import TableState


@dataclass
class TableSummary:
    table: str
    pages: int = 0
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    failed: int = 0
    elapsed: float = 0.0
    failures: list[tuple[str | None, str]] = field(default_factory=list)  # the first few
    rejects: Path | None = None

    @property
    def rate(self) -> float:
        return self.rows / self.elapsed if self.elapsed else 0.0

    def add(self, page: Page, applied: Applied) -> None:
        self.pages += 1
        self.rows += page.rows
        self.created += applied.created
        self.updated += applied.updated
        self.unchanged += applied.unchanged
        self.deleted += applied.deleted
        self.failed += len(applied.failed)
        room = max(20 - len(self.failures), 0)
        self.failures += [(row_id, error) for _, row_id, error in applied.failed[:room]]

    def line(self) -> str:
        return (
            f"{self.table}: {self.rows} rows in {self.pages} page(s), {self.elapsed:.1f} s "
            f"({self.rate:,.0f} rows/s): {self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.deleted} deleted, {self.failed} failed"
        )


def failed_rows(applied: Applied) -> list[dict[str, Any]]:
    """The Dataverse rows behind the rows that failed (to retry on the next run)."""
    return [
        item
        for row, _, _ in applied.failed
        if row is not None and isinstance(row.source, list)
        for item in row.source
        if isinstance(item, dict)
    ]


def still_pending(pending: list[dict[str, Any]], page: Page) -> list[dict[str, Any]]:
    """Failed rows not superseded by the page (a newer version of the row, or its delete)."""
    return [item for item in pending if not row_ids(item) & page.ids]


def write_rejects(rejects: RejectsWriter, applied: Applied) -> None:
    for row, row_id, error in applied.failed:
        rejects.write(row or Row(0, {}, [{"id": row_id}]), error)


class Sync:
    """Syncs tables of one org into the graph under its lease; `on_page` sees each table's
    running summary."""

    def __init__(
        self,
        graph: Graph,
        client: DataverseClient,
        lease: SyncLease,
        rejects_dir: Path,
        on_page: Callable[[TableSummary], None] | None = None,
    ) -> None:
        self.client = client
        self.lease = lease
        self.org = lease.org
        self.store = lease.store
        self.writes = WritePath(graph)
        self.rejects_dir = rejects_dir
        self.on_page = on_page

    async def _save(self, page: Page, applied: Applied, state: TableState, finished: bool) -> None:
        await self.store.save(self.org, page, applied, state, finished, (self.lease.holder, TTL))

    async def table(self, table: str) -> TableSummary:
        summary = TableSummary(table)
        started = time.monotonic()
        state = await self.store.get(self.org, table)
        url: str | None = state.resume_link or self.client.initial_url(table)
        rejects = RejectsWriter(self.rejects_dir / f"{table}.rejects.json", "dataverse")
        try:
            if state.pending_rows:  # rows that failed last time (a record that came later...)
                page = read_page({"value": state.pending_rows}, table)
                await self.lease.renew()
                applied = await apply_page(self.writes, page, {})
                write_rejects(rejects, applied)
                state.pending_rows = failed_rows(applied)
                await self._save(page, applied, state, False)
                summary.add(page, applied)
            while url:
                doc = await self.client.page(url)
                try:
                    page = read_page(doc, table)
                except PageError as exc:
                    raise DataverseError(f"{url[:200]}: {exc}") from None
                if not page.next_link and not page.delta_link:
                    raise DataverseError(
                        f"{table}: a page without @odata.nextLink or @odata.deltaLink; is "
                        "'Track changes' on for this table?"
                    )
                await self.lease.renew()
                applied = await apply_page(
                    self.writes, page, await self.store.known_rows(page.deleted)
                )
                write_rejects(rejects, applied)
                state = TableState(
                    next_link=page.next_link,
                    delta_link=page.delta_link or state.delta_link,
                    pending_deletes=list(dict.fromkeys(state.pending_deletes + applied.deferred)),
                    pending_rows=still_pending(state.pending_rows, page) + failed_rows(applied),
                )
                await self._save(page, applied, state, not page.next_link)
                summary.add(page, applied)
                summary.elapsed = time.monotonic() - started
                if self.on_page:
                    self.on_page(summary)
                url = page.next_link
        finally:
            rejects.close()
        summary.rejects = rejects.path if rejects.count else None
        summary.elapsed = time.monotonic() - started
        return summary

    async def deferred_role_deletes(self) -> int:
        """Role deletes that waited for the connections table: retried at the end of a run."""
        state = await self.store.get(self.org, ROLES_TABLE)
        if not state.pending_deletes:
            return 0
        await self.lease.renew()
        deleted, waiting = await retry_role_deletes(self.writes, state.pending_deletes)
        state.pending_deletes = waiting
        applied = Applied(deleted=deleted)
        await self._save(Page(ROLES_TABLE, "roles"), applied, state, True)
        return deleted

    async def run(self, tables: list[str]) -> list[TableSummary]:
        for table in tables:
            table_kind(table)
        summaries = [await self.table(table) for table in tables]
        if ROLES_TABLE in tables:
            deleted = await self.deferred_role_deletes()
            roles = next(s for s in summaries if s.table == ROLES_TABLE)
            roles.deleted += deleted
        return summaries
