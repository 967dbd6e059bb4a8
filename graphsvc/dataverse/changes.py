"""One page of Dataverse change tracking (OData 4.0 delta) read into graphsvc rows.

A page is a Web API response: `{"@odata.context": ".../$metadata#<table>(...)[/$delta]",
"value": [...], "@odata.nextLink" | "@odata.deltaLink": url}`. Each item of `value` is either a
new or changed row, in full, or a deleted row:
`{"@odata.context": ".../$metadata#<table>/$deletedEntity", "id": "<primary key>",
"reason": "deleted"}` (learn.microsoft.com: "Use change tracking to synchronize data with
external systems"). Rows are converted exactly as the export loader converts them
(graphsvc.loader), so a delta and a full export give the same graph.
"""

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from graphsvc.readers import Row, dataverse_connections, dataverse_records, dataverse_roles

TableKind = Literal["roles", "associations", "records", "connections"]
_TABLE = re.compile(r"\$metadata#(\w+)")
DELETED_SUFFIX = "/$deletedEntity"
ROLES_TABLE = "connectionroles"
ASSOCIATIONS_TABLE = "connectionroleassociations"
CONNECTIONS_TABLE = "connections"
DEFAULT_TABLES = (ROLES_TABLE, ASSOCIATIONS_TABLE, "contacts", "accounts", CONNECTIONS_TABLE)


def table_kind(table: str) -> TableKind:
    if table == ROLES_TABLE:
        return "roles"
    if table == ASSOCIATIONS_TABLE:
        return "associations"
    if table == CONNECTIONS_TABLE:
        return "connections"
    return "records"


def is_deleted(item: dict[str, Any]) -> bool:
    return str(item.get("@odata.context", "")).endswith(DELETED_SUFFIX)


@dataclass
class Association:
    id: str
    role_id: str
    associated_role_id: str


@dataclass
class Page:
    """What one page asks of the graph, in graphsvc's shapes."""

    table: str
    kind: TableKind
    upserts: list[Row] = field(default_factory=list)
    associations: list[Association] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    twins: dict[str, str] = field(default_factory=dict)  # connection row id -> connection id
    ids: set[str] = field(default_factory=set)  # every row id the page names
    next_link: str | None = None
    delta_link: str | None = None
    rows: int = 0


class PageError(ValueError):
    """A response that is not a change-tracking page."""


def row_ids(item: dict[str, Any]) -> set[str]:
    """The ids a row answers to: its primary key (and a connection row's twin)."""
    return {
        v
        for k, v in item.items()
        if isinstance(v, str)
        and ((k.endswith("id") and not k.startswith("_")) or k == "_relatedconnectionid_value")
    }


def table_of(doc: dict[str, Any]) -> str:
    match = _TABLE.search(str(doc.get("@odata.context", "")))
    return match.group(1) if match else ""


def read_page(doc: Any, table: str | None = None) -> Page:
    """The page's upserts (twin connection rows folded), deletes and links."""
    if not isinstance(doc, dict) or not isinstance(doc.get("value"), list):
        raise PageError("not a Dataverse Web API response ({'value': [...]})")
    table = table or table_of(doc)
    if not table:
        raise PageError("the response's @odata.context names no table")
    kind = table_kind(table)
    page = Page(table, kind, next_link=doc.get("@odata.nextLink"))
    page.delta_link = doc.get("@odata.deltaLink")
    items: list[dict[str, Any]] = []
    for item in doc["value"]:
        if not isinstance(item, dict):
            raise PageError(f"{table}: an item of 'value' is not an object")
        page.rows += 1
        if is_deleted(item):
            if isinstance(item.get("id"), str):
                page.deleted.append(item["id"])
                page.ids.add(item["id"])
            continue
        page.ids |= row_ids(item)
        items.append({k: v for k, v in item.items() if k != "_error"})
    if kind == "connections":
        page.upserts = list(dataverse_connections(items))
        for item in items:
            row_id = item.get("connectionid")
            master = item.get("_relatedconnectionid_value")
            if isinstance(row_id, str):
                is_master = item.get("ismaster") is not False or not master
                page.twins[row_id] = row_id if is_master else str(master)
    elif kind == "roles":
        page.upserts = list(dataverse_roles(items, None))
    elif kind == "associations":
        for number, item in enumerate(items, start=1):
            a, b = item.get("connectionroleid"), item.get("associatedconnectionroleid")
            key = item.get("connectionroleassociationid") or f"{a}:{b}"
            if isinstance(a, str) and isinstance(b, str):
                page.associations.append(Association(str(key), a, b))
            else:
                page.upserts.append(Row(number, {"_invalid": "association without roles"}, [item]))
    else:
        page.upserts = list(dataverse_records(table, items))
    return page
