"""The batch write path: many records, roles or connections per transaction, each row reported.

A batch is one managed write transaction, so it is atomic and the driver retries it on transient
errors. Rows are validated with the same pydantic models as the single-item API before any of
them reaches Neo4j (`batch_rows.py`), and roles are resolved from one read of the (few) roles, so
a row with a bad field or an unknown role fails in Python with the field named.

In the transaction, rows that only need creating go to one plain `UNWIND ... CREATE`
(`batch_*_create`), the speed of a bulk load, and the rest (updates, repeats of an id within the
batch, a possible duplicate or loop, a missing record) to the per-row upsert (`batch_*_upsert`),
which computes each row's outcome and rule code itself. Records: one read sorts the rows
(`batch_records_existing`, `batch_records_classify`; rows already as in the graph are counted
unchanged); in a load of new records, a batch after an all-new one skips that read and lets
the id constraint refuse it if an id exists (it is then written the checked way). Connections,
after the locks of every role the batch uses: the create statement itself checks each row it is
sent against the graph and says which it created, so a batch of new connections is one
statement, as in a bare bulk load. Connections are
idempotent by connection id: both edges and the key node are written by one statement, so there
is never half a connection.

A row that would duplicate an active connection held under another id (the API's 409) fails
with the duplicate's id. If Neo4j rejects a whole batch (a client error, e.g. a constraint
raced by a concurrent writer), its rows are retried one by one so only the culprit fails;
not when it ran past its time limit (`timeout`): that error goes to the caller.
"""

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from neo4j import AsyncManagedTransaction
from neo4j.exceptions import ClientError, ConstraintError
from pydantic import ValidationError

from graphsvc import cypher
from graphsvc.errors import ConflictError, GraphError, NotFoundError
from graphsvc.graph.batch_rows import (
    MAX_BATCH_ROWS,
    Item,
    Prepared,
    Row,
    failure,
    failure_message,
    plan_connections,
    plan_records,
    prepare_connections,
    prepare_records,
    roles_used,
    validation_message,
)
from graphsvc.graph.handle import Graph, live_ids
from graphsvc.graph.locks import lock_roles, timed_out
from graphsvc.graph.repository import Repository
from graphsvc.graph.roles import RoleIndex
from graphsvc.graph.rows import to_role
from graphsvc.models import BatchFailure, BatchResult, RoleCreate, RolePatch
from graphsvc.models import Role as ConnectionRole
from graphsvc.rules import Role

__all__ = [
    "MAX_BATCH_ROWS",
    "BatchWriter",
    "Item",
    "Prepared",
    "prepare_connections",
    "prepare_records",
    "upsert_roles",
    "validation_message",
]


# -- running a statement ------------------------------------------------------------------------
def _result(row: dict[str, Any], prepared: Prepared) -> BatchResult:
    by_index = {r["index"]: r for r in prepared.rows}
    failed = prepared.failed + [
        BatchFailure(
            index=f["index"],
            id=f["id"],
            error=f["error"]
            if isinstance(f["error"], str)
            else failure_message(
                by_index[f["index"]], f["error"], prepared.roles or RoleIndex([]), prepared.sides
            ),
        )
        for f in row["failed"]
    ]
    return BatchResult(
        created=row["created"],
        updated=row["updated"],
        unchanged=row["unchanged"],
        failed=sorted(failed, key=lambda f: f.index),
    )


def _rejected(rows: list[dict[str, Any]], exc: ClientError) -> list[dict[str, Any]]:
    return [
        {
            "index": r["index"],
            "id": r["id"],
            "error": f"rejected by Neo4j: {(exc.message or exc.code or '').splitlines()[0][:300]}",
        }
        for r in rows
    ]


def _empty() -> dict[str, Any]:
    return {"created": 0, "updated": 0, "unchanged": 0, "failed": []}


def _add(total: dict[str, Any], row: dict[str, Any]) -> dict[str, Any]:
    return {k: total[k] + row[k] for k in total}


class _Rows(list[Row]):
    """A batch's rows as a statement parameter. The driver builds the repr of every RUN's
    parameters for its debug log even when that log is off: 8 ms for 2,000 connection rows, a
    few per cent of the batch path. This repr costs nothing and keeps a debug log readable."""

    def __repr__(self) -> str:
        return f"<{len(self)} rows>"


async def _single(
    tx: AsyncManagedTransaction, name: str, rows: list[Row], **params: Any
) -> dict[str, Any]:
    result = await tx.run(cypher.load(name), rows=_Rows(rows), **params)
    return (await result.single(strict=True)).data()


async def _write(tx: AsyncManagedTransaction, name: str, prepared: Prepared) -> dict[str, Any]:
    """Create the plain rows in one statement, upsert the rest (in row order)."""
    out = _empty()
    rows = prepared.rows
    if name == "batch_records_upsert":
        fast, slow = await _plan_records(tx, rows)
        if fast:
            out["created"] = (await _single(tx, "batch_records_create", fast))["created"]
        out["unchanged"] = len(rows) - len(fast) - len(slow)
    elif name == "batch_connections_upsert":
        sides = prepared.sides
        candidates = plan_connections(rows, sides)
        created: set[int] = set()
        if candidates:
            done = await _single(tx, "batch_connections_create", candidates, sides=sides)
            created = set(done["created"])
        out["created"] = len(created)
        slow = [r for r in rows if r["index"] not in created]
        return _add(out, await _single(tx, name, slow, sides=sides)) if slow else out
    else:
        return await _single(tx, name, rows)
    return _add(out, await _single(tx, name, slow)) if slow else out


async def _plan_records(
    tx: AsyncManagedTransaction, rows: list[Row]
) -> tuple[list[Row], list[Row]]:
    ids = list({r["id"]: None for r in rows})
    result = await tx.run(cypher.load("batch_records_existing"), ids=ids)
    existing = set((await result.single(strict=True))["existing"])
    changed: set[int] = set()
    if existing:
        known = [r for r in rows if r["id"] in existing]
        changed = set((await _single(tx, "batch_records_classify", known))["changed"])
    new = {r["index"] for r in rows if r["id"] not in existing}
    return plan_records(rows, new, changed)


class BatchWriter:
    """The batch write path (the API's /batch routes and the loader), on the async driver.

    Locks: a connection batch first locks every role its rows use (id order), and re-resolves
    its rows if a role changed since they were prepared; then it reads and writes. A connection
    batch does not lock its records (2 x rows writes): the rules that read a record's type hold
    the role lock that a type change also takes, and a record deleted under the batch makes Neo4j
    reject the batch (or the plain create does not find it, and the row's upsert reports it
    missing), whose rows are then retried. A record upsert row locks its record before it decides
    whether the type changes (batch_records_upsert.cypher)."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.driver = graph.driver
        self.database = graph.database
        self.timeout = graph.timeout
        # A load of new records: once a batch's ids were all new, the next batch is sent straight
        # to the plain create and the id constraint tells if an id exists after all (then that
        # batch takes the checked path, and so do the next, until one is all new again). Saves
        # the existence read's round trip per batch: 0.3-0.4 s of a 2.5 s 100k-record load.
        self._records_look_new = False

    async def roles(self) -> RoleIndex:
        records, _, _ = await self.driver.execute_query(
            cypher.load("roles_list"), database_=self.database
        )
        return RoleIndex(dict(r["role"]) for r in records)

    async def _run(self, name: str, prepared: Prepared) -> dict[str, Any]:
        if name == "batch_records_upsert":
            return await self._run_records(prepared)
        return await self._run_checked(name, prepared)

    async def _run_records(self, prepared: Prepared) -> dict[str, Any]:
        rows = prepared.rows
        if self._records_look_new and len({r["id"] for r in rows}) == len(rows):

            async def create(tx: AsyncManagedTransaction) -> dict[str, Any]:
                return await _single(tx, "batch_records_create", rows)

            try:
                done = await self.graph.write(create)
                return _empty() | {"created": done["created"]}
            except ConstraintError:
                pass  # an id is in the graph (or a concurrent writer's): check every row
        out = await self._run_checked("batch_records_upsert", prepared)
        self._records_look_new = out["created"] == len(rows)
        return out

    async def _run_checked(self, name: str, prepared: Prepared) -> dict[str, Any]:
        async def work(tx: AsyncManagedTransaction) -> dict[str, Any]:
            # the rows that failed in Python are the caller's to report; a fresh preparation
            # under the locks may fail more
            rows = replace(prepared, failed=[])
            if rows.roles is not None:
                rows = await _lock_roles(tx, rows)
            written = await _write(tx, name, rows)
            for f in written["failed"]:
                if isinstance(f["error"], dict) and "chain" in f["error"]:
                    live_ids(f["error"]["chain"])
            return _result(written, rows).model_dump()

        # The statements check ids and active keys before they write, so a ConstraintError is
        # a concurrent writer's commit since (a PUT of a record the upsert found missing): run
        # again, the rows see it as an update, unchanged or a duplicate.
        return await self.graph.write(work, again=(ConstraintError,))

    async def _run_split(self, name: str, prepared: Prepared) -> dict[str, Any]:
        if not prepared.rows:
            return _empty()
        try:
            return await self._run(name, prepared)
        except ClientError as exc:
            if timeout := timed_out(exc):
                raise timeout from None
            if len(prepared.rows) == 1:
                return _empty() | {"failed": _rejected(prepared.rows, exc)}
        total = _empty()
        for row in prepared.rows:
            one = Prepared(rows=[row], roles=prepared.roles, sides=prepared.sides)
            one.items = [i for i in prepared.items if i[0] == row["index"]]
            total = _add(total, await self._run_split(name, one))
        return total

    async def run(self, name: str, prepared: Prepared) -> BatchResult:
        """Write prepared rows with the statement `name`; every row reported."""
        out = BatchResult.model_validate(await self._run_split(name, prepared))
        out.failed = sorted(out.failed + prepared.failed, key=lambda f: f.index)
        return out

    async def write_records(self, items: Iterable[Item]) -> BatchResult:
        return await self.run("batch_records_upsert", prepare_records(items))

    async def write_connections(
        self, items: Iterable[Item], roles: RoleIndex | None = None
    ) -> BatchResult:
        prepared = prepare_connections(items, roles or await self.roles())
        return await self.run("batch_connections_upsert", prepared)


async def _lock_roles(tx: AsyncManagedTransaction, prepared: Prepared) -> Prepared:
    """Lock the roles the rows use; if any changed since the rows were prepared (renamed,
    narrowed, deleted), prepare them again from the roles as they are now, until stable."""
    locked: dict[str, Role] = {}
    while True:
        wanted = roles_used(prepared) - set(locked)
        locked |= await lock_roles(tx, wanted)
        assert prepared.roles is not None
        if all(prepared.roles.by_id.get(i) == locked.get(i) for i in roles_used(prepared)):
            return prepared
        rows = await (await tx.run(cypher.load("roles_list"))).data()
        again = prepare_connections(prepared.items, RoleIndex(dict(r["role"]) for r in rows))
        prepared = again
        locked = {}


# -- roles --------------------------------------------------------------------------------------
async def upsert_roles(repo: Repository, items: Iterable[Item]) -> BatchResult:
    """Roles by id (or by name when a row has no id), through the single-item rules.

    Roles are few, so each is its own transaction; reciprocals are set in a second pass, once
    every role of the file exists (a row may name a role that comes later in the file)."""
    result = BatchResult()
    known = await _RolesByKey.read(repo)
    pending: list[tuple[int, str, str | None]] = []
    for index, raw in items:
        try:
            body = RoleCreate.model_validate(raw)
        except ValidationError as exc:
            result.failed.append(failure(index, raw, validation_message(exc)))
            continue
        try:
            role, outcome = await _upsert_role_again_if_raced(repo, body, known)
        except GraphError as exc:
            result.failed.append(failure(index, raw, exc.detail))
            continue
        if role is None:
            result.unchanged += 1
            continue
        if outcome == "created":
            result.created += 1
        else:
            result.updated += 1
        if role.reciprocal_role_id != body.reciprocal_role_id:
            pending.append((index, role.id, body.reciprocal_role_id))
    for index, role_id, reciprocal_id in pending:
        try:
            if (await repo.get_role(role_id)).reciprocal_role_id != reciprocal_id:
                await repo.patch_role(role_id, RolePatch(reciprocal_role_id=reciprocal_id))
        except GraphError as exc:
            result.failed.append(BatchFailure(index=index, id=role_id, error=exc.detail))
    result.failed.sort(key=lambda f: f.index)
    return result


class _RolesByKey:
    """The roles as listed once, by id and by name (the first listed of a name)."""

    def __init__(self, listed: list[dict[str, Any]]) -> None:
        self.by_id = {r["id"]: r for r in listed}
        self.by_name = {r["name"]: r for r in reversed(listed)}

    @classmethod
    async def read(cls, repo: Repository) -> "_RolesByKey":
        return cls([r.model_dump() for r in await repo.list_roles()])

    def refresh(self, fresh: "_RolesByKey") -> None:
        self.by_id, self.by_name = fresh.by_id, fresh.by_name

    def of(self, body: RoleCreate) -> dict[str, Any] | None:
        return self.by_id.get(body.id) if body.id else self.by_name.get(body.name)


async def _upsert_role_again_if_raced(
    repo: Repository, body: RoleCreate, known: _RolesByKey
) -> tuple[ConnectionRole | None, str]:
    """_upsert_role, decided again on a fresh read each time another writer (a second loader, the
    API) created or deleted the role since it was read; an error that a fresh read does not
    explain (a clash with a different role's relationship type) fails the row."""
    current = known.of(body)
    for attempt in range(1, 6):
        try:
            return await _upsert_role(repo, body, current)
        except (ConflictError, NotFoundError):
            known.refresh(await _RolesByKey.read(repo))
            if (known.of(body) is None) == (current is None) or attempt == 5:
                raise
            current = known.of(body)
    raise AssertionError("unreachable")


async def _upsert_role(
    repo: Repository, body: RoleCreate, current: dict[str, Any] | None
) -> tuple[ConnectionRole | None, str]:
    """Create, update or leave one role (its reciprocal is the second pass's); None: unchanged."""
    fields = body.model_dump(exclude={"id", "reciprocal_role_id"})
    if current is None:
        created = await repo.create_role(body.model_copy(update={"reciprocal_role_id": None}))
        return created, "created"
    if any(current.get(k) != v for k, v in fields.items()):
        return await repo.patch_role(current["id"], RolePatch(**fields)), "updated"
    if current.get("reciprocal_role_id") != body.reciprocal_role_id:
        return to_role(current), "updated"
    return None, "unchanged"
