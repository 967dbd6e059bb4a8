"""Connections across records (`GET /connections`): each connection once, paged by id."""

from datetime import date, datetime
from typing import Any

from neo4j import AsyncManagedTransaction, unit_of_work

from graphsvc import cypher
from graphsvc.graph.locks import resolve_roles
from graphsvc.graph.reads import connection_gone
from graphsvc.graph.repository import Repository
from graphsvc.graph.rows import decode_cursor, encode_cursor, to_connection
from graphsvc.models import ConnectionPage


async def list_connections(
    repo: Repository,
    roles: list[str] | None,
    record_type: str | None,
    state: str | None,
    as_of: date | None,
    changed_since: datetime | None,
    limit: int,
    cursor: str | None,
) -> ConnectionPage:
    """One read transaction: roles resolved (404 naming an unknown one), then the page."""
    after = decode_cursor(cursor)

    async def work(tx: AsyncManagedTransaction) -> list[dict[str, Any]]:
        role_ids = None
        if roles:
            wanted = {f"roles[{i}]": key for i, key in enumerate(roles)}
            role_ids = [r["id"] for r in (await resolve_roles(tx, wanted)).values()]
        result = await tx.run(
            cypher.load("connections_list"),
            role_ids=role_ids,
            record_type=record_type,
            state=state,
            as_of=as_of,
            changed_since=changed_since,
            after=after,
            limit=limit + 1,
        )
        return [row.data() async for row in result]

    async with repo.driver.session(database=repo.database) as session:
        rows = await session.execute_read(unit_of_work(timeout=repo.timeout)(work))
    page = rows[:limit]
    items = [to_connection(row) for row in page if not connection_gone(row)]
    # The cursor comes from the last connection read, deleted mid-read or not.
    ids = (r["edge"].get("connection_id") for r in reversed(page))
    last = next((i for i in ids if i is not None), None)
    next_cursor = encode_cursor(last) if len(rows) > limit and last else None
    return ConnectionPage(items=items, next_cursor=next_cursor)
