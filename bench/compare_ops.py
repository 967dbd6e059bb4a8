"""The operations bench/compare.py times, and how each layer's answer is compared."""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from bench.common import (
    percentile,
    starts,
)

if TYPE_CHECKING:
    from bench.compare_layers import Neo, Pg


CHAIN_LIMIT = 1000
FLOOR = "floor: SELECT 1 / RETURN 1 / GET /health"
RELATED_LIMIT = 100
API_PORT = int(os.environ.get("GRAPHSVC_BENCH_API_PORT", "48801"))
Result = Any


@dataclass
class Op:
    """One operation at one depth, and the start records (or pairs) it runs from."""

    name: str
    kind: str  # floor | record | related | chains | reach | network | shortest
    role: str | None  # a role id; None: every role
    depth: int
    cases: list[dict[str, str]]
    state: str = "active"  # "any": no edge property filtered


@dataclass
class Timing:
    ms: list[float] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> dict[str, float]:
        return {
            "p50_ms": round(percentile(self.ms, 50), 3),
            "p95_ms": round(percentile(self.ms, 95), 3),
            "qps": round(len(self.ms) / self.seconds, 1) if self.seconds else 0.0,
            "n": len(self.ms),
        }


def operations(data: Path, pg: Pg) -> list[Op]:
    """The issue's table (small calls, the hub page, reach from hub employees, network) and the
    earlier traversal cases, each with its start records from starts.json."""
    s = starts(data)
    roots, employees, rnd = s["referral_roots"], s["big_account_employees"], s["random"]
    contacts = [i for i in rnd if i.startswith("c")]
    pairs = [{"from": a, "to": b} for a, b in zip(rnd, rnd[1:] + employees[:1], strict=True)]
    pairs += [{"from": e, "to": r} for e, r in zip(employees[:10], rnd[::-1], strict=False)]
    ids = [{"id": i} for i in roots]
    small = [{"id": i} for i in pg.small_trees()]
    return [
        # The floor of each stack, to read the rows below against: the cheapest statement
        # (`SELECT 1`, `RETURN 1` as every read is sent) and the cheapest route (`GET /health`).
        Op(FLOOR, "floor", None, 0, [{"id": i} for i in rnd[:5]]),
        Op("record read", "record", None, 0, [{"id": i} for i in rnd]),
        Op("related friend", "related", "friend", 1, [{"id": i} for i in contacts]),
        Op("related referral", "related", "referral", 1, ids),
        Op("hub page: employees", "related", "employee", 1, [{"id": a} for a in s["big_accounts"]]),
        # The same page off accounts of 150-300 employees: a degree-independent page costs the same.
        Op(
            "page: employees, 150-300",
            "related",
            "employee",
            1,
            [{"id": a} for a in pg.page_accounts()],
        ),
        *(Op(f"reach referral d{d} small", "reach", "referral", d, small) for d in (2, 6)),
        Op("chains d6 small", "chains", "referral", 6, small),
        Op("shortest friend d6", "shortest", "friend", 6, pg.friend_pairs()),
        *(Op(f"chains d{d}", "chains", "referral", d, ids) for d in (2, 4, 6)),
        Op("reach referral d6", "reach", "referral", 6, ids),
        Op("shortest d6", "shortest", None, 6, pairs),
        *(
            Op(f"reach all d{d}", "reach", None, d, [{"id": e} for e in employees])
            for d in (2, 3, 4)
        ),
        *(
            Op(f"reach all d{d} state=any", "reach", None, d, [{"id": e} for e in employees], "any")
            for d in (2, 3)
        ),
        Op(
            "network d2 cap 300",
            "network",
            None,
            2,
            [{"id": i} for i in employees[:10] + roots[:10]],
        ),
    ]


# -- PostgreSQL ---------------------------------------------------------------------------------


def network_result(nodes: list[str], connections: list[str]) -> Result:
    return (len(nodes), tuple(sorted(nodes)), tuple(sorted(set(connections))))


def api_path(op: Op, case: dict[str, str], neo: Neo) -> str:
    if op.kind == "floor":
        return "/health"
    if op.kind == "record":
        return f"/records/{case['id']}"
    if op.kind == "network":
        return f"/records/{case['id']}/network?{urlencode({'depth': op.depth, 'limit': 300})}"
    if op.kind == "related":
        query = {"role": op.role, "limit": RELATED_LIMIT}
        return f"/records/{case['id']}/connections?{urlencode(query)}"
    if op.kind == "chains":
        query = {"role": op.role, "max_depth": op.depth, "limit": CHAIN_LIMIT}
        return f"/records/{case['id']}/chains?{urlencode(query)}"
    if op.kind == "reach":
        query = {"max_depth": op.depth, **({"role": op.role} if op.role else {})}
        if op.state != "active":
            query["state"] = op.state
        return f"/records/{case['id']}/reach?{urlencode(query)}"
    query = {"from": case["from"], "to": case["to"], "max_depth": op.depth}
    if op.role:
        query["roles"] = op.role
    return f"/paths/shortest?{urlencode(query)}"


def api_result(op: Op, status: int, body: dict[str, Any]) -> Result:
    if op.kind == "floor":
        return 1 if status == 200 else None
    if op.kind == "record":
        return body["id"] if status == 200 else None
    if op.kind == "network":
        return network_result(
            [n["id"] for n in body["nodes"]], [e["connection_id"] for e in body["edges"]]
        )
    if op.kind == "related":
        return [(i["connection_id"], i["record"]["id"]) for i in body["items"]]
    if op.kind == "chains":
        return {tuple(r["id"] for r in c["records"]) for c in body["chains"]}
    if op.kind == "reach":
        return (list(body["per_depth"]), [r["id"] for r in body.get("upline", [])])
    if status == 404:
        return None
    return int(body["paths"][0]["depth"])


# -- checks and timings -------------------------------------------------------------------------
def resolve(op: Op, got: Result) -> Result:
    """A layer's result as `same` compares it: an answer the graph layer sent as JSON (chains,
    network, shortest paths) read as the API client reads it."""
    if isinstance(got, bytes):
        return api_result(op, 200, json.loads(got))
    return got


def same(op: Op, expected: Result, got: Result, full: Result) -> bool:
    """Equal results; a chain list cut at the limit only has to have as many, all real chains."""
    if op.kind == "chains" and len(expected) >= CHAIN_LIMIT:
        return bool(len(got) == len(expected) and got <= full)
    return bool(expected == got)


Run = Callable[[Op, dict[str, str]], Awaitable[Result]]


def shown(result: Result) -> Any:
    if isinstance(result, set):
        return {"count": len(result), "sample": sorted(result)[:3]}
    return result


def result_size(result: Result) -> Any:
    if isinstance(result, (set, list)) and not (
        isinstance(result, list) and result and isinstance(result[0], int)
    ):
        return len(result)
    if isinstance(result, tuple):
        # network: (records, ids, connections); reach: (per depth, upline)
        return result[0] if isinstance(result[0], int) else sum(result[0])
    if isinstance(result, str):
        return 1  # one record
    return result
