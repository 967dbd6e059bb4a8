"""Traversal answers as the JSON the API sends, serialised once, each repeated part once.

A chains answer repeats itself: 1000 chains of depth 6 from a referral root hold ~6,100
records (~1,000 distinct) and ~5,100 hops (~1,000 distinct), 2.2 MB of JSON. Each distinct
record is validated and serialised once (the Record model, in pydantic-core) and each distinct
hop once; a path is those pieces joined. The bytes are the ones the response models give (the
route declares them for the OpenAPI schema; tests/api compares). A model per path and hop,
then the whole tree serialised, took ~43 ms of Python for that answer; this takes ~17 ms.
"""

from collections.abc import Iterable
from typing import Any

from pydantic import TypeAdapter
from pydantic_core import to_json

from graphsvc.graph.reads import gone, record_shape
from graphsvc.models import Record

_RECORDS = TypeAdapter(list[Record])
_RECORD_JSON = TypeAdapter(Record).dump_json
RoleRefs = dict[str, dict[str, str]]  # role id -> {"id", "name"}, as RoleRef serialises


def role_refs(rows: list[dict[str, Any]]) -> RoleRefs:
    """The connection roles a traversal query returned, by id; a role deleted while the query
    read it (a map of nulls: `graphsvc.graph.reads.gone`) is left out."""
    return {r["id"]: {"id": r["id"], "name": r["name"]} for r in rows if not gone(r)}


def records_json(rows: Iterable[dict[str, Any]]) -> dict[str, bytes]:
    """Each record as JSON, by id (`rows`: none deleted while the query ran)."""
    return {r.id: _RECORD_JSON(r) for r in _RECORDS.validate_python(map(record_shape, rows))}


def hop(
    connection_id: str,
    from_id: str,
    to_id: str,
    rel_type: str,
    from_role: str | None,
    to_role: str | None,
    refs: RoleRefs,
) -> dict[str, Any]:
    """A Hop's fields, in its order."""
    return {
        "connection_id": connection_id,
        "from_id": from_id,
        "to_id": to_id,
        "relationship_type": rel_type,
        "from_role": refs.get(from_role) if from_role else None,
        "to_role": refs.get(to_role) if to_role else None,
    }


def _whole(raw: dict[str, Any], records: dict[str, dict[str, Any]]) -> bool:
    """Whether no record or connection of a raw path was deleted while the query ran (that path
    is gone: a record's delete takes its connections with it)."""
    return all(i in records for i in raw["records"]) and all(
        h[0] is not None and h[2] is not None for h in raw["hops"]
    )


def paths_json(
    key: str,
    raws: list[dict[str, Any]],
    record_rows: Iterable[dict[str, Any]],
    refs: RoleRefs,
    limit: int,
) -> tuple[bytes, int]:
    """`{key: [path...], "truncated": ...}` (ChainsResponse, PathsResponse) from the raw paths
    a traversal query returned (`records`: ids; `hops`: [connection id, relationship type,
    side, record1 role, record2 role]) and their records' properties: the paths still whole,
    shortest first, then by connection ids, at most `limit`. Also how many paths were whole.
    Only the records of the paths sent are validated (the default limit is 100 of up to 1000+
    the query found)."""
    present = {row["id"]: row for row in record_rows if not gone(row)}
    kept = [raw for raw in raws if _whole(raw, present)]
    kept.sort(key=lambda raw: (len(raw["hops"]), [h[0] for h in raw["hops"]]))
    shown = kept[:limit]
    records = records_json(
        present[i] for i in dict.fromkeys(i for r in shown for i in r["records"])
    )
    hops: dict[tuple[str, str], bytes] = {}  # (connection id, from id): one edge's hop
    out = [b'{"', key.encode(), b'":[']
    add = out.append
    for n, raw in enumerate(shown):
        ids: list[str] = raw["records"]
        pieces = []
        for i, (cid, rel_type, side, role1, role2) in enumerate(raw["hops"]):
            piece = hops.get((cid, ids[i]))
            if piece is None:
                from_role, to_role = (role1, role2) if side == 1 else (role2, role1)
                piece = hops[cid, ids[i]] = to_json(
                    hop(cid, ids[i], ids[i + 1], rel_type, from_role, to_role, refs)
                )
            pieces.append(piece)
        add(b'%b{"depth":%d,"records":[' % (b"," if n else b"", len(pieces)))
        add(b",".join([records[i] for i in ids]))
        add(b'],"connections":%b,"hops":[' % to_json([h[0] for h in raw["hops"]]))
        add(b",".join(pieces))
        add(b"]}")
    add(b'],"truncated":%b}' % (b"true" if len(kept) > limit else b"false"))
    return b"".join(out), len(kept)


def network_json(
    records: list[dict[str, Any]], edges: list[list[Any]], refs: RoleRefs, truncated: bool
) -> bytes:
    """NetworkResponse: `records` in the Record model's shape, `edges` as [connection id, from
    id, to id, relationship type, from role, to role]."""
    nodes = _RECORDS.dump_json(_RECORDS.validate_python(records))
    hops = to_json([hop(c, f, t, rel_type, r1, r2, refs) for c, f, t, rel_type, r1, r2 in edges])
    return b'{"nodes":%b,"edges":%b,"truncated":%b}' % (
        nodes,
        hops,
        b"true" if truncated else b"false",
    )
