"""Applying Dataverse changes through graphsvc's one write path (the only module that calls it).

Every change goes through the same functions as the API and the loader, so the same rules hold:
records and connections through the batch upserts (`graphsvc.graph.batch`), roles through
`upsert_roles`, deletes through the repository's delete methods (a record's delete cascades to
its connections as `DELETE /records/{id}` does). The calls, for whoever rewires the write path:
`BatchWriter.write_records`, `BatchWriter.write_connections`, `upsert_roles`,
`Repository.list_roles`, `Repository.patch_role` (reciprocal only), `Repository.delete_record`,
`Repository.delete_connection`, `Repository.delete_role`.

Every upsert is idempotent and a delete of something absent is a no-op, so a page applied again
(after a crash between its commit and the saving of the sync state) changes nothing.
"""

from dataclasses import dataclass, field
from typing import Any, Literal

from graphsvc.dataverse.changes import Page
from graphsvc.errors import ConflictError, GraphError, NotFoundError
from graphsvc.graph.batch import BatchWriter, upsert_roles
from graphsvc.graph.handle import Graph
from graphsvc.graph.repository import Repository
from graphsvc.loader import Row
from graphsvc.models import BatchResult, RolePatch

RoleDelete = Literal["deleted", "absent", "in use"]


class WritePath:
    """The high-level writes a sync needs, and nothing else."""

    def __init__(self, graph: Graph) -> None:
        self.repo = Repository(graph)
        self.batch = BatchWriter(graph)

    async def upsert_records(self, items: list[tuple[int, Any]]) -> BatchResult:
        return await self.batch.write_records(items)

    async def upsert_connections(self, items: list[tuple[int, Any]]) -> BatchResult:
        return await self.batch.write_connections(items)

    async def upsert_roles(self, items: list[tuple[int, Any]]) -> BatchResult:
        return await upsert_roles(self.repo, items)

    async def reciprocals(self) -> dict[str, str | None]:
        return {r.id: r.reciprocal_role_id for r in await self.repo.list_roles()}

    async def set_reciprocal(self, role_id: str, reciprocal_id: str | None) -> None:
        await self.repo.patch_role(role_id, RolePatch(reciprocal_role_id=reciprocal_id))

    async def delete_record(self, record_id: str) -> bool:
        try:
            await self.repo.delete_record(record_id)
        except NotFoundError:
            return False
        return True

    async def delete_connection(self, connection_id: str) -> bool:
        try:
            await self.repo.delete_connection(connection_id)
        except NotFoundError:
            return False
        return True

    async def delete_role(self, role_id: str) -> RoleDelete:
        try:
            await self.repo.delete_role(role_id)
        except NotFoundError:
            return "absent"
        except ConflictError:
            return "in use"
        return "deleted"


@dataclass
class Applied:
    """One page's outcome. `failed` holds (row, id, reason); `deferred` role deletes wait until
    the connections that still use the role are gone (a later table in the same run)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    failed: list[tuple[Row | None, str | None, str]] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)
    deleted_connections: list[str] = field(default_factory=list)
    forgotten: list[str] = field(default_factory=list)  # association rows deleted

    def add(self, result: BatchResult, rows: list[Row]) -> None:
        self.created += result.created
        self.updated += result.updated
        self.unchanged += result.unchanged
        by_number = {row.number: row for row in rows}
        self.failed += [(by_number.get(f.index), f.id, f.error) for f in result.failed]


def _items(page: Page, applied: Applied) -> list[tuple[int, Any]]:
    items = []
    for row in page.upserts:
        if isinstance(row.data, dict) and "_invalid" in row.data:
            applied.failed.append((row, None, row.data["_invalid"]))
        else:
            items.append((row.number, row.data))
    return items


async def apply_page(
    writes: WritePath, page: Page, known_rows: dict[str, dict[str, Any]]
) -> Applied:
    """Apply one page: upserts first, then deletes. `known_rows` maps the Dataverse row ids the
    page deletes to what the sync state remembers of them (the twin's connection id, an
    association's roles); a delete of an id not known and not in the graph is a no-op."""
    applied = Applied()
    items = _items(page, applied)
    if page.kind == "records":
        applied.add(await writes.upsert_records(items), page.upserts)
        for record_id in page.deleted:
            applied.deleted += await writes.delete_record(record_id)
    elif page.kind == "connections":
        applied.add(await writes.upsert_connections(items), page.upserts)
        targets = dict.fromkeys(
            str(known_rows.get(row_id, {}).get("target") or row_id) for row_id in page.deleted
        )
        for connection_id in targets:
            applied.deleted += await writes.delete_connection(connection_id)
            applied.deleted_connections.append(connection_id)
    elif page.kind == "roles":
        current = await writes.reciprocals()
        for _, data in items:  # Dataverse keeps reciprocals in connectionroleassociations
            if isinstance(data, dict) and data.get("id") in current:
                data["reciprocal_role_id"] = current[data["id"]]
        applied.add(await writes.upsert_roles(items), page.upserts)
        for role_id in page.deleted:
            outcome = await writes.delete_role(role_id)
            applied.deleted += outcome == "deleted"
            if outcome == "in use":
                applied.deferred.append(role_id)
    else:
        await _apply_associations(writes, page, known_rows, applied)
    return applied


async def _apply_associations(
    writes: WritePath, page: Page, known_rows: dict[str, dict[str, Any]], applied: Applied
) -> None:
    current = await writes.reciprocals()
    for assoc in page.associations:
        a, b = assoc.role_id, assoc.associated_role_id
        if a not in current or b not in current:
            missing = a if a not in current else b
            applied.failed.append((None, assoc.id, f"connection role '{missing}' not found"))
            continue
        if current[a] == b and current[b] == a:
            applied.unchanged += 1
            continue
        try:
            await writes.set_reciprocal(a, b)
        except GraphError as exc:
            applied.failed.append((None, assoc.id, exc.detail))
            continue
        current[a], current[b] = b, a
        applied.updated += 1
    for row_id in page.deleted:
        known = known_rows.get(row_id) or {}
        role, partner = str(known.get("target")), known.get("associated")
        applied.forgotten.append(row_id)
        if partner and not known.get("others") and role in current and current[role] == partner:
            await writes.set_reciprocal(role, None)
            current[role] = current[str(partner)] = None
            applied.deleted += 1


async def retry_role_deletes(writes: WritePath, role_ids: list[str]) -> tuple[int, list[str]]:
    """Role deletes that waited for their connections: (deleted, still in use)."""
    deleted, waiting = 0, []
    for role_id in role_ids:
        outcome = await writes.delete_role(role_id)
        deleted += outcome == "deleted"
        if outcome == "in use":
            waiting.append(role_id)
    return deleted, waiting
