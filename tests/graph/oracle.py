"""Seeded random CRM graphs and the same traversals computed independently with networkx.

A graph is a referral forest several levels deep (plus a few extra referrals that make it a
DAG), friend and colleague connections with cycles, employee/employer links to accounts, a
one-sided role without a reciprocal, role-less connections, inactive connections,
effective-date windows (many starting or ending exactly on a BOUNDARY day, which the tests also
ask as `as_of`), and two hubs: an account with a few hundred employees and a contact who referred
over a hundred. `FRESH_SEED` is drawn anew on every run (replay one with GRAPHSVC_ORACLE_SEED). `nx_graph` builds a MultiDiGraph with both edges of every connection,
exactly as the README stores them in Neo4j, and the functions below answer each traversal on it.
"""

import os
import random
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import networkx as nx

CONNECTED_TO = "CONNECTED_TO"


@dataclass(frozen=True)
class Role:
    id: str
    name: str
    relationship_type: str
    reciprocal_role_id: str | None
    acyclic: bool = False


@dataclass(frozen=True)
class Conn:
    id: str
    record1: str
    record2: str
    role1: str | None  # record1's role (the type of the record2 -> record1 edge)
    role2: str | None  # record2's role (the type of the record1 -> record2 edge)
    state: str = "active"
    start: date | None = None
    end: date | None = None


@dataclass
class CrmGraph:
    records: dict[str, str] = field(default_factory=dict)  # id -> type
    roles: dict[str, Role] = field(default_factory=dict)
    conns: list[Conn] = field(default_factory=list)

    def rel_type(self, role_id: str | None) -> str:
        return self.roles[role_id].relationship_type if role_id else CONNECTED_TO

    def role_id_for_type(self, rel_type: str) -> str | None:
        return next((r.id for r in self.roles.values() if r.relationship_type == rel_type), None)


ROLES = [
    Role("role-referral", "Referral", "REFERRAL", "role-referred-by", acyclic=True),
    Role("role-referred-by", "Referred by", "REFERRED_BY", "role-referral", acyclic=True),
    Role("role-friend", "Friend", "FRIEND", "role-friend"),
    Role("role-colleague", "Colleague", "COLLEAGUE", "role-colleague"),
    Role("role-employee", "Employee", "EMPLOYEE", "role-employer"),
    Role("role-employer", "Employer", "EMPLOYER", "role-employee"),
    Role("role-mentor", "Mentor", "MENTOR", None),
]

DAY0 = date(2020, 1, 1)
# Days on which many windows start or end, so as_of lands exactly on a bound (a `<` for `<=`).
BOUNDARY = [date(2021, 6, 1), date(2022, 1, 1), date(2023, 3, 15)]
FIXED_SEEDS = [11, 12, 13, 683001]  # 683001: a fresh seed that found only 7 shortest paths
FRESH_SEED = int(
    os.environ.get("GRAPHSVC_ORACLE_SEED") or random.SystemRandom().randrange(100, 1_000_000)
)


def _window(rng: random.Random) -> tuple[date | None, date | None]:
    if rng.random() > 0.35:
        return None, None
    start = DAY0 + timedelta(days=rng.randrange(0, 1500))
    end = start + timedelta(days=rng.randrange(0, 900))
    if rng.random() < 0.5:  # a bound exactly on a boundary day
        day = rng.choice(BOUNDARY)
        if rng.random() < 0.5:
            start, end = day, max(end, day)
        else:
            start, end = min(start, day), day
    kind = rng.random()
    if kind < 0.33:
        return start, None
    if kind < 0.66:
        return None, end
    return start, end


def generate(
    seed: int,
    contacts: int = 90,
    accounts: int = 6,
    hub_employees: int = 300,
    hub_referrals: int = 120,
) -> CrmGraph:
    """A random CRM graph; the same seed always gives the same graph."""
    rng = random.Random(seed)
    g = CrmGraph(roles={r.id: r for r in ROLES})
    people = [f"s{seed}-c{i:03d}" for i in range(contacts)]
    companies = [f"s{seed}-a{i:02d}" for i in range(accounts)]
    g.records = {p: "contact" for p in people} | {a: "account" for a in companies}
    pairs: set[tuple[str, str, str]] = set()

    def connect(r1: str, r2: str, role2: str | None, role1: str | None) -> None:
        key = (min(r1, r2), max(r1, r2), "".join(sorted([role1 or "-", role2 or "-"])))
        if r1 == r2 or key in pairs:
            return
        pairs.add(key)
        start, end = _window(rng)
        state = "inactive" if rng.random() < 0.12 else "active"
        cid = f"s{seed}-k{len(g.conns):04d}"
        g.conns.append(Conn(cid, r1, r2, role1, role2, state, start, end))

    # Referral forest: the first few contacts are roots; later ones are referred by earlier ones,
    # with a preference for recent referrers so trees grow several levels deep.
    order = people[:]
    rng.shuffle(order)
    roots = 4
    for i, person in enumerate(order[roots:], start=roots):
        referrer = order[max(0, i - 1 - int(rng.expovariate(0.25)))] if i > 0 else order[0]
        connect(referrer, person, "role-referral", "role-referred-by")
    # A few extra referrals from an earlier contact to a later one: a DAG, still acyclic.
    for _ in range(contacts // 10):
        i, j = sorted(rng.sample(range(len(order)), 2))
        connect(order[i], order[j], "role-referral", "role-referred-by")
    for _ in range(contacts):
        a, b = rng.sample(people, 2)
        connect(a, b, "role-friend", "role-friend")
    for _ in range(contacts // 2):
        a, b = rng.sample(people, 2)
        connect(a, b, "role-colleague", "role-colleague")
    for person in people:
        if rng.random() < 0.6:
            company = companies[min(int(rng.expovariate(0.8)), accounts - 1)]
            connect(person, company, "role-employer", "role-employee")
    for _ in range(contacts // 10):
        a, b = rng.sample(people, 2)
        connect(a, b, "role-mentor", None)
    for _ in range(contacts // 10):
        a, b = rng.sample(people, 2)
        connect(a, b, None, None)
    # Hubs: an account employing a few hundred (new contacts, plus some of the others), and a
    # contact who referred over a hundred newcomers.
    hub = companies[0]
    staff = [f"s{seed}-h{i:03d}" for i in range(hub_employees)]
    newcomers = [f"s{seed}-n{i:03d}" for i in range(hub_referrals)]
    g.records |= {p: "contact" for p in staff + newcomers}
    for person in staff:
        connect(person, hub, "role-employer", "role-employee")
    referrer = rng.choice(people)
    for person in newcomers:
        connect(referrer, person, "role-referral", "role-referred-by")
    for person in rng.sample(newcomers, 10):
        connect(person, rng.choice(staff), "role-friend", "role-friend")
    return g


# --- mutations (applied to the model as the tests apply them through the API) -------------------


def rename_role(g: CrmGraph, role_id: str, name: str, rel_type: str) -> None:
    old = g.roles[role_id]
    g.roles[role_id] = Role(role_id, name, rel_type, old.reciprocal_role_id, old.acyclic)


def replace_conn(g: CrmGraph, conn_id: str, **changes: Any) -> Conn:
    i = next(i for i, c in enumerate(g.conns) if c.id == conn_id)
    old = g.conns[i]
    g.conns[i] = Conn(**({k: getattr(old, k) for k in old.__dataclass_fields__} | changes))
    return g.conns[i]


def delete_conn(g: CrmGraph, conn_id: str) -> None:
    g.conns = [c for c in g.conns if c.id != conn_id]


def delete_record(g: CrmGraph, record_id: str) -> None:
    del g.records[record_id]
    g.conns = [c for c in g.conns if record_id not in (c.record1, c.record2)]


# --- the oracle --------------------------------------------------------------------------------


def nx_graph(g: CrmGraph) -> nx.MultiDiGraph:
    """Both edges of every connection, keyed by (connection id, side)."""
    G = nx.MultiDiGraph()
    G.add_nodes_from(g.records)
    for c in g.conns:
        common = {"conn": c.id, "state": c.state, "start": c.start, "end": c.end}
        G.add_edge(c.record1, c.record2, key=(c.id, 1), type=g.rel_type(c.role2), **common)
        G.add_edge(c.record2, c.record1, key=(c.id, 2), type=g.rel_type(c.role1), **common)
    return G


def restrict(
    G: nx.MultiDiGraph,
    types: Iterable[str] | None,
    state: str = "active",
    as_of: date | None = None,
) -> nx.MultiDiGraph:
    """The edges a traversal may follow: of these types (None: any), state, effective on as_of."""
    wanted = set(types) if types is not None else None
    H = nx.MultiDiGraph()
    H.add_nodes_from(G)
    for u, v, k, d in G.edges(keys=True, data=True):
        if wanted is not None and d["type"] not in wanted:
            continue
        if state != "any" and d["state"] != state:
            continue
        if as_of is not None and (
            (d["start"] is not None and d["start"] > as_of)
            or (d["end"] is not None and d["end"] < as_of)
        ):
            continue
        H.add_edge(u, v, key=k, **d)
    return H


def per_depth(H: nx.MultiDiGraph, source: str, max_depth: int) -> list[int]:
    """Distinct records first reached at each depth 1..max_depth (trailing zeros dropped)."""
    dist = nx.single_source_shortest_path_length(H, source, cutoff=max_depth)
    counts = Counter(d for n, d in dist.items() if n != source)
    result = [counts.get(d, 0) for d in range(1, max_depth + 1)]
    while result and result[-1] == 0:
        result.pop()
    return result


def simple_paths(
    H: nx.MultiDiGraph, source: str, min_depth: int, max_depth: int
) -> set[tuple[str, ...]]:
    """Every simple path from source of length min..max, as its sequence of connection ids."""
    targets = set(H) - {source}
    paths: set[tuple[str, ...]] = set()
    if not targets:
        return paths
    for edges in nx.all_simple_edge_paths(H, source, targets, cutoff=max_depth):
        if len(edges) >= min_depth:
            paths.add(tuple(k[0] for _, _, k in edges))
    return paths


def shortest_paths(H: nx.MultiDiGraph, source: str, target: str) -> set[tuple[str, ...]]:
    """All shortest paths (as connection-id sequences, parallel connections counted apart)."""
    try:
        node_paths = list(nx.all_shortest_paths(H, source, target))
    except nx.NetworkXNoPath:
        return set()
    result: set[tuple[str, ...]] = set()
    for nodes in node_paths:
        result |= set(_expand(H, nodes))
    return result


def _expand(H: nx.MultiDiGraph, nodes: list[str]) -> Iterator[tuple[str, ...]]:
    if len(nodes) < 2:
        yield ()
        return
    for rest in _expand(H, nodes[1:]):
        for key in H[nodes[0]][nodes[1]]:
            yield (key[0], *rest)


def network(H: nx.MultiDiGraph, source: str, depth: int) -> tuple[dict[str, int], set[str]]:
    """Records within depth hops (with their distance) and the connections among them."""
    dist = nx.single_source_shortest_path_length(H, source, cutoff=depth)
    return dist, induced_connections(H, set(dist))


def induced_connections(H: nx.MultiDiGraph, nodes: set[str]) -> set[str]:
    return {k[0] for u, v, k in H.edges(keys=True) if u in nodes and v in nodes}


def upline_length(H: nx.MultiDiGraph, source: str, max_hops: int) -> int:
    """Hops to the nearest root (a record with no outgoing edge) within max_hops; 0 if none."""
    dist = nx.single_source_shortest_path_length(H, source, cutoff=max_hops)
    roots = [d for n, d in dist.items() if H.out_degree(n) == 0]
    return min(roots) if roots else 0


# --- loading -----------------------------------------------------------------------------------


def api_bodies(g: CrmGraph) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The POST /connection-roles and POST /connections bodies for the graph."""
    roles = [
        {"id": r.id, "name": r.name, "acyclic": r.acyclic}
        | ({"reciprocal_role_id": r.reciprocal_role_id} if r.reciprocal_role_id else {})
        for r in g.roles.values()
    ]
    conns = []
    for c in g.conns:
        body: dict[str, Any] = {"id": c.id, "record1_id": c.record1, "record2_id": c.record2}
        if c.role2:
            body["record2_role_id"] = c.role2
        if c.role1:
            body["record1_role_id"] = c.role1
        if c.start:
            body["effective_start"] = c.start.isoformat()
        if c.end:
            body["effective_end"] = c.end.isoformat()
        conns.append(body)
    return roles, conns
