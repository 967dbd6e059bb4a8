"""Single-statement reads in one round trip: an auto-commit query in a READ session.

`execute_query` and `execute_read` wrap a statement in a managed transaction: BEGIN + RUN +
PULL, then a second round trip for COMMIT (1.1-1.3 ms against 0.75 ms for `RETURN 1` on a quiet
2-core box). A read of one statement gains nothing from the transaction, so it runs auto-commit
(`session.run`: RUN + PULL pipelined, one round trip), in a READ session so that a cluster
routes it to a follower or read replica. Managed transactions retry on a lost connection; an
auto-commit query cannot be retried blindly in general, but a read can: `read` retries once
when the connection was lost before any row arrived, and the API maps a second failure to 503.
"""

from collections.abc import Mapping
from typing import Any, LiteralString

from neo4j import READ_ACCESS, AsyncDriver, Query
from neo4j.exceptions import ClientError, ServiceUnavailable, SessionExpired
from pydantic import TypeAdapter

from graphsvc.errors import NotFoundError, UnavailableError
from graphsvc.graph.rows import RECORD_KEYS, encode_cursor
from graphsvc.models import RelatedRecordPage


async def read(
    driver: AsyncDriver,
    database: str,
    text: LiteralString,
    params: dict[str, Any],
    timeout: float | None,
) -> list[dict[str, Any]]:
    """The rows of one read-only statement, as dicts (one round trip)."""
    query = Query(text, timeout=timeout)
    for attempt in (1, 2):
        try:
            async with driver.session(database=database, default_access_mode=READ_ACCESS) as s:
                result = await s.run(query, params)
                # dict(), not .data(): values are plain lists and maps already, and .data()
                # walks them in Python (~10 ms for 100 chains).
                return [dict(record) async for record in result]
        except (ServiceUnavailable, SessionExpired):
            if attempt == 2:
                raise
        except ClientError as exc:
            if "TransactionTimedOut" in (exc.code or ""):
                raise UnavailableError(
                    f"the query ran past its {timeout or 0:g} s limit; narrow it "
                    "(a smaller depth, fewer roles, or as_of)"
                ) from None
            raise
    raise AssertionError("unreachable")


def gone(props: Mapping[str, Any]) -> bool:
    """Whether a record or role the query matched was deleted before it read its properties.

    A read sees each write as it commits: a DELETE committing between a query's MATCH and its
    `n {.*}` leaves an empty map (`n {.id, .name}`: a map of nulls; and a query reading an
    entity's properties one by one may read some before the delete and the rest after). Such a
    node is left out of an answer, as if the read had come after the delete (a 404 when it was
    the one asked for), never a 500."""
    return props.get("id") is None


def connection_gone(row: Mapping[str, Any]) -> bool:
    """Whether a delete took a connection row's edge (as `properties(e)`) or either of its records
    (`n {.id, .type, .name}`) while the query read them: see `gone`."""
    edge = row["edge"]
    return (
        any(edge.get(key) is None for key in ("connection_id", "state", "created_at", "updated_at"))
        or gone(row["record1"])
        or gone(row["record2"])
    )


def record_shape(props: dict[str, Any]) -> dict[str, Any]:
    """A record's properties (timestamps as text) in the Record model's shape, to be validated
    once with the whole answer rather than as a model per record."""
    return {
        "id": props["id"],
        "type": props["type"],
        "name": props["name"],
        "attributes": {k: v for k, v in props.items() if k not in RECORD_KEYS},
        "created_at": props["created_at"],
        "updated_at": props["updated_at"],
    }


_RELATED_PAGE = TypeAdapter(RelatedRecordPage)


def related_page(
    row: dict[str, Any], record_id: str, role: str | None, limit: int
) -> RelatedRecordPage:
    """The answer of record_connections.cypher (asked for limit + 1 items) as one page."""
    if not row["role_found"]:
        raise NotFoundError(f"connection role '{role}' not found", field="role")
    if not row["record_found"]:
        raise NotFoundError(f"record '{record_id}' not found", field="id")
    names = {r["id"]: r["name"] for r in row["roles"]}

    def ref(role_id: str | None) -> dict[str, str] | None:
        if role_id is None or role_id not in names:
            return None
        return {"id": role_id, "name": names[role_id]}

    items = []
    page = row["items"][:limit]
    for cid, side, role1, role2, state, description, start, end, record in page:
        if cid is None or side is None or state is None or gone(record):
            continue  # the connection or the record was deleted while the query ran
        related_role, own_role = (role2, role1) if side == 1 else (role1, role2)
        items.append(
            {
                "connection_id": cid,
                "record": record_shape(record),
                "role": ref(related_role),
                "own_role": ref(own_role),
                "state": state,
                "description": description or "",
                "effective_start": start,
                "effective_end": end,
            }
        )
    more = len(row["items"]) > limit
    last = next((item[0] for item in reversed(page) if item[0] is not None), None)
    next_cursor = encode_cursor(last) if more and last else None
    return _RELATED_PAGE.validate_python({"items": items, "next_cursor": next_cursor})
