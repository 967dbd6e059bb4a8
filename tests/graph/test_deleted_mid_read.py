"""A read racing a delete: what a query's rows look like when a DELETE commits between the query's
MATCH and its reading the properties, and what the answer makes of them.

Neo4j reads see each write as it commits, so such a row holds an empty map for the record (`n
{.*}`) and nulls for the edge's properties. Record reads and chains once answered 500 for it (a
validation error, a KeyError): 3 of about 16,000 reads in a minute of 5 readers against 3 writers
deleting and re-creating 12 records (test_chaos.py now releases reads with its writes). The race
cannot be timed from outside a query, so these tests hand the answer-building code such rows.
"""

import json
from typing import Any

from graphsvc.graph.answers import paths_json, role_refs
from graphsvc.graph.reads import connection_gone, gone, related_page
from graphsvc.graph.roles import RoleIndex
from graphsvc.graph.rows import role_ref
from graphsvc.graph.traversals import _network_shape
from graphsvc.models import RoleRef

STAMP = "2026-01-01T00:00:00Z"


def record(rid: str) -> dict[str, Any]:
    return {"id": rid, "type": "contact", "name": rid, "created_at": STAMP, "updated_at": STAMP}


def item(cid: str | None, rec: dict[str, Any]) -> list[Any]:
    return [cid, 1, None, "friend", "active", None, None, None, rec]


def test_a_record_deleted_mid_read_is_gone() -> None:
    assert gone({}) and not gone(record("a"))


def test_a_page_leaves_out_what_was_deleted_and_pages_on() -> None:
    row: dict[str, Any] = {
        "role_found": True,
        "record_found": True,
        "roles": [{"id": "friend", "name": "Friend"}],
        "items": [item("c1", record("a")), item("c2", {}), item(None, {}), item("c4", record("d"))],
    }
    page = related_page(row, "x", None, limit=3)
    assert [i.connection_id for i in page.items] == ["c1"]
    # The cursor comes from the last connection read, deleted or not: the next page starts after it.
    full = related_page(row | {"items": row["items"][:3]}, "x", None, limit=3)
    assert full.next_cursor is None and page.next_cursor is not None
    assert related_page(row | {"items": [item("c2", {})]}, "x", None, limit=3).items == []


def whole_paths(raws: list[dict[str, Any]], records: list[dict[str, Any]]) -> list[list[str]]:
    """The paths `paths_json` keeps, as their record ids."""
    body, count = paths_json("paths", raws, records, {}, limit=10)
    paths = json.loads(body)["paths"]
    assert len(paths) == count
    return [[r["id"] for r in p["records"]] for p in paths]


def test_paths_through_a_deleted_record_or_connection_are_gone() -> None:
    records = [record("a"), {}, record("c"), {"id": None}]
    hop = ["c1", "FRIEND", 1, None, None]
    assert whole_paths([{"records": ["a", "c"], "hops": [hop]}], records) == [["a", "c"]]
    assert whole_paths([{"records": ["a", "b"], "hops": [hop]}], records) == []
    assert whole_paths([{"records": ["a", None], "hops": [hop]}], records) == []
    deleted_edge = [None, "FRIEND", None, None, None]
    assert whole_paths([{"records": ["a", "c"], "hops": [deleted_edge]}], records) == []


def test_a_network_leaves_out_deleted_records_and_their_edges() -> None:
    row = {
        "records": [record("a"), {}, record("c")],
        "edges": [
            ["k1", "a", "c", "FRIEND", 1, "friend", "friend"],
            ["k2", "a", None, "FRIEND", 1, "friend", "friend"],
            [None, "c", "a", "FRIEND", 2, "friend", "friend"],
        ],
    }
    records, edges = _network_shape(row)
    assert [r["id"] for r in records] == ["a", "c"]
    assert [e[0] for e in edges] == ["k1"]


ROLE = {
    "id": "friend",
    "name": "Friend",
    "relationship_type": "FRIEND",
    "category": "social",
    "description": "",
    "record_types": [],
    "reciprocal_role_id": "friend",
    "acyclic": False,
}


def test_a_role_deleted_mid_read_is_left_out() -> None:
    """A role read as `properties(r)` or `r {.*}` comes back empty, as `r {.id, .name}` a map of
    nulls. Once a batch of connections racing a role delete answered 500 (KeyError 'id' in the
    batch's role list; found by test_chaos.py's 20 repetitions), as would every traversal that
    named its hops' roles (RoleRef(id=None))."""
    index = RoleIndex([ROLE, {}])
    assert list(index.by_id) == ["friend"]
    refs = role_refs([{"id": "friend", "name": "Friend"}, {"id": None, "name": None}])
    assert list(refs) == ["friend"]
    assert role_ref({"id": None, "name": None}) is None
    assert role_ref({"id": "friend", "name": "Friend"}) == RoleRef(id="friend", name="Friend")


def test_an_edge_read_half_before_its_delete_is_gone() -> None:
    """A query reading an edge's properties one by one may read its id before the delete commits
    and its state after: GET /records/{id}/connections once answered 500 for it (state None
    is no State; found by a role-churn attack, 1 of ~12k reads)."""
    row: dict[str, Any] = {
        "role_found": True,
        "record_found": True,
        "roles": [],
        "items": [[*item("c1", record("a"))[:4], None, *item("c1", record("a"))[5:]]],
    }
    assert related_page(row, "x", None, limit=3).items == []
    hop = ["c1", "FRIEND", None, None, None]
    assert whole_paths([{"records": ["a", "c"], "hops": [hop]}], [record("a"), record("c")]) == []


def test_a_connection_row_deleted_mid_read_is_gone() -> None:
    edge = {"connection_id": "c1", "state": "active", "created_at": STAMP, "updated_at": STAMP}
    side = {"id": "a", "type": "contact", "name": "a"}
    whole = {"edge": edge, "record1": side, "record2": side}
    assert not connection_gone(whole)
    assert connection_gone(whole | {"edge": {}})
    assert connection_gone(whole | {"edge": edge | {"state": None}})
    assert connection_gone(whole | {"record2": {"id": None, "type": None, "name": None}})
