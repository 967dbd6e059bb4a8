"""`graphsvc load ... --format dataverse-delta`: change-tracking pages handed over as files.

A file is one Web API change-tracking response (`{"@odata.context", "value": [...]}`, with
`$deletedEntity` entries for deletes), applied exactly as `graphsvc sync dataverse` applies a
page; only no `:SyncState` is kept (the file names no org). Role deletes that find the role
still in use fail (load the connections delta first).
"""

import json
import time
from pathlib import Path

from graphsvc.dataverse.changes import PageError, read_page
from graphsvc.graph.handle import Graph
from graphsvc.loader import RejectsWriter
from graphsvc.sync.apply import WritePath, apply_page
from graphsvc.sync.run import TableSummary, write_rejects
from graphsvc.sync.state import SyncStore, TableState

KINDS = {
    "roles": ("roles", "associations"),
    "records": ("records",),
    "connections": ("connections",),
}


async def load_delta_file(
    graph: Graph, path: Path, kind: str, rejects: RejectsWriter
) -> TableSummary:
    started = time.monotonic()
    try:
        with path.open(encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path.name}: not a JSON file: {exc}") from None
    try:
        page = read_page(doc)
    except PageError as exc:
        raise ValueError(f"{path.name}: {exc}") from None
    if page.kind not in KINDS[kind]:
        raise ValueError(
            f"{path.name} holds the Dataverse table '{page.table}', not {kind}; use "
            f"`graphsvc load {'roles' if page.kind == 'associations' else page.kind}`"
        )
    store = SyncStore(graph.driver, graph.database)
    applied = await apply_page(WritePath(graph), page, await store.known_rows(page.deleted))
    for role_id in applied.deferred:
        applied.failed.append((None, role_id, f"connection role '{role_id}' is still in use"))
    write_rejects(rejects, applied)
    await store.save(None, page, applied, TableState(), True)
    summary = TableSummary(page.table)
    summary.add(page, applied)
    summary.elapsed = time.monotonic() - started
    return summary
