"""The sync state in Neo4j: a `:SyncState` node per org and table, `:DataverseRow` nodes, and
a `:SyncLease` per org (graphsvc/sync/lease.py).

A table's state holds the link the next run starts from: `next_link` while a run is between
pages, else `delta_link`. It is saved after each page's changes are committed, so a crash
resumes at the first page not yet saved; a page applied twice changes nothing (every write is an
upsert, deleting the absent is a no-op). `:DataverseRow` remembers each connection row's
graphsvc connection id (the `ismaster` twin's id), so a delete that names either twin removes
the pair, and each role association's two roles.
"""

import json
from dataclasses import dataclass, field
from typing import Any

from neo4j import AsyncDriver, AsyncManagedTransaction

from graphsvc import cypher
from graphsvc.dataverse.changes import Page
from graphsvc.sync.apply import Applied


class LeaseError(Exception):
    """Another run holds the org's lease, or this run lost it; the message says which."""

    @classmethod
    def lost(cls, org: str) -> "LeaseError":
        return cls(
            f"this sync lost its lease on {org}: Neo4j was out of reach until it expired and "
            "another run took it over; this run stopped before its next page, the other goes on"
        )


def state_key(org: str, table: str) -> str:
    return f"{org} {table}"


@dataclass
class TableState:
    next_link: str | None = None
    delta_link: str | None = None
    pending_deletes: list[str] = field(default_factory=list)
    pending_rows: list[dict[str, Any]] = field(default_factory=list)  # failed, retried next run

    @property
    def resume_link(self) -> str | None:
        return self.next_link or self.delta_link


class SyncStore:
    def __init__(self, driver: AsyncDriver, database: str) -> None:
        self.driver = driver
        self.database = database

    async def get(self, org: str, table: str) -> TableState:
        records, _, _ = await self.driver.execute_query(
            cypher.load("sync_state_get"), key=state_key(org, table), database_=self.database
        )
        if not records:
            return TableState()
        state = records[0]["state"]
        return TableState(
            state.get("next_link"),
            state.get("delta_link"),
            list(state.get("pending_deletes") or []),
            json.loads(state.get("pending_rows") or "[]"),
        )

    async def known_rows(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        if not ids:
            return {}
        records, _, _ = await self.driver.execute_query(
            cypher.load("sync_rows_lookup"), ids=ids, database_=self.database
        )
        return {r["id"]: r.data() for r in records}

    @staticmethod
    def _rows(page: Page, applied: Applied) -> dict[str, Any]:
        remember = [
            {"id": row_id, "table": page.table, "target": target, "associated": None}
            for row_id, target in page.twins.items()
        ] + [
            {
                "id": a.id,
                "table": page.table,
                "target": a.role_id,
                "associated": a.associated_role_id,
            }
            for a in page.associations
        ]
        return {
            "remember": remember,
            "forget": applied.forgotten,
            "forget_targets": applied.deleted_connections,
        }

    async def save(
        self,
        org: str | None,
        page: Page,
        applied: Applied,
        state: TableState,
        finished: bool,
        lease: tuple[str, int] | None = None,
    ) -> None:
        """Remember the page's rows and (with an org) save the table's state, in one
        transaction, after the page's changes are committed. With a lease (holder, ttl), the
        same transaction renews it, and nothing is saved when it was lost (LeaseError)."""
        params = {
            "key": state_key(org or "", page.table),
            "org": org,
            "table": page.table,
            "next_link": state.next_link,
            "delta_link": state.delta_link,
            "pending_deletes": state.pending_deletes,
            "pending_rows": json.dumps(state.pending_rows),
            "counts": {
                "created": applied.created,
                "updated": applied.updated,
                "unchanged": applied.unchanged,
                "deleted": applied.deleted,
                "failed": len(applied.failed),
            },
            "finished": finished,
        }
        rows = self._rows(page, applied)

        async def work(tx: AsyncManagedTransaction) -> None:
            if lease is not None:
                holder, ttl = lease
                fence = await tx.run(
                    cypher.load("sync_lease_renew"), org=org, holder=holder, ttl=ttl
                )
                if await fence.single() is None:
                    raise LeaseError.lost(org or "")
            await (await tx.run(cypher.load("sync_rows_save"), rows)).consume()
            if org is not None:
                await (await tx.run(cypher.load("sync_state_save"), params)).consume()

        async with self.driver.session(database=self.database) as session:
            await session.execute_write(work)

    async def take_lease(
        self, org: str, holder: str, host: str, pid: int, ttl: int, stale: str | None
    ) -> dict[str, Any]:
        records, _, _ = await self.driver.execute_query(
            cypher.load("sync_lease_take"),
            org=org,
            holder=holder,
            host=host,
            pid=pid,
            ttl=ttl,
            stale=stale,
            database_=self.database,
        )
        return records[0].data()

    async def renew_lease(self, org: str, holder: str, ttl: int) -> bool:
        records, _, _ = await self.driver.execute_query(
            cypher.load("sync_lease_renew"),
            org=org,
            holder=holder,
            ttl=ttl,
            database_=self.database,
        )
        return bool(records)

    async def release_lease(self, org: str, holder: str) -> None:
        await self.driver.execute_query(
            cypher.load("sync_lease_release"), org=org, holder=holder, database_=self.database
        )

    async def statuses(self) -> list[dict[str, Any]]:
        records, _, _ = await self.driver.execute_query(
            cypher.load("sync_states_list"), database_=self.database
        )
        return [r.data() for r in records]
