"""Chains, reach, network and shortest paths, checked against networkx on seeded random graphs.

Each test loads its own graph through the API (roles one by one, records and connections in
batches) and compares every answer with the same computation on a networkx MultiDiGraph built
from the same connection list (tests/graph/oracle.py). Besides the fixed seeds, every run draws a fresh
one (its value is in the test ids and the session header; replay it with
GRAPHSVC_ORACLE_SEED=<seed>, and add a seed that ever failed to oracle.FIXED_SEEDS). `as_of` is
often exactly a window's first or last day. `test_traversals_after_mutations` renames a role,
retypes connections and a record, deletes connections and records, and checks again.

Over ~300 lines on purpose: every traversal endpoint against the same seeded oracle graphs.
"""

import itertools
import random
from datetime import date
from typing import Any

import networkx as nx
import pytest
from fastapi.testclient import TestClient

from tests.graph import oracle

SEEDS = [*oracle.FIXED_SEEDS, oracle.FRESH_SEED]
SEED_IDS = [f"seed{s}" if s != oracle.FRESH_SEED else f"fresh{s}" for s in SEEDS]
STATES: list[tuple[str, date | None]] = [
    ("active", None),
    ("any", None),
    ("inactive", None),
    *[("active", d) for d in oracle.BOUNDARY],
    ("any", oracle.BOUNDARY[1]),
]


class Crm:
    def __init__(self, client: TestClient, g: oracle.CrmGraph) -> None:
        self.client = client
        self.g = g
        self.G = oracle.nx_graph(g)

    def refresh(self) -> None:
        """Rebuild the networkx graph after the model was mutated alongside the database."""
        self.G = oracle.nx_graph(self.g)

    def get(self, url: str, **params: Any) -> Any:
        response = self.client.get(url, params={k: v for k, v in params.items() if v is not None})
        assert response.status_code == 200, (url, params, response.text)
        return response.json()


def _load(client: TestClient, g: oracle.CrmGraph) -> None:
    role_bodies, conn_bodies = oracle.api_bodies(g)
    # Reciprocals point at roles created later, so create first, then link.
    for body in role_bodies:
        plain = {k: v for k, v in body.items() if k != "reciprocal_role_id"}
        assert client.post("/connection-roles", json=plain).status_code == 201
    for body in role_bodies:
        if "reciprocal_role_id" in body:
            patch = {"reciprocal_role_id": body["reciprocal_role_id"]}
            assert client.patch(f"/connection-roles/{body['id']}", json=patch).status_code == 200
    records = [{"id": i, "type": t, "name": f"{t} {i}"} for i, t in g.records.items()]
    result = client.post("/batch/records", json=records).json()
    assert result["failed"] == [] and result["created"] == len(records), result
    for body, conn in zip(conn_bodies, g.conns, strict=True):
        body["state"] = conn.state
    result = client.post("/batch/connections", json=conn_bodies).json()
    assert result["failed"] == [] and result["created"] == len(conn_bodies), result


def crm_for(client: TestClient, seed: int) -> Crm:
    g = oracle.generate(seed)
    _load(client, g)
    return Crm(client, g)


@pytest.fixture
def crm(client: TestClient) -> Crm:
    """The first fixed seed's graph, loaded for this test alone."""
    return crm_for(client, SEEDS[0])


def _state(g: oracle.CrmGraph, rng: random.Random) -> tuple[str, date | None]:
    """A state filter and as_of: half the time a day some window starts or ends on exactly."""
    if rng.random() < 0.5:
        return rng.choice(STATES)
    bounds = sorted({d for c in g.conns for d in (c.start, c.end) if d is not None})
    return rng.choice(["active", "any"]), rng.choice(bounds)


def _starts(g: oracle.CrmGraph, rng: random.Random, k: int) -> list[str]:
    contacts = sorted(i for i, t in g.records.items() if t == "contact")
    others = sorted(i for i, t in g.records.items() if t != "contact")
    hubs = [i for i in others if i.endswith("-a00")]  # the employer hub, when it is still there
    return rng.sample(contacts, k - 3) + rng.sample(others, 2) + hubs[:1]


def _check_path(path: dict[str, Any], g: oracle.CrmGraph, H: nx.MultiDiGraph) -> tuple[str, ...]:
    """The path is well formed and every hop is an edge the traversal may follow."""
    ids = [r["id"] for r in path["records"]]
    assert len(ids) == path["depth"] + 1 == len(path["hops"]) + 1
    assert len(set(ids)) == len(ids), f"a record repeats in {ids}"
    assert path["connections"] == [h["connection_id"] for h in path["hops"]]
    conns = {c.id: c for c in g.conns}
    for i, hop in enumerate(path["hops"]):
        assert (hop["from_id"], hop["to_id"]) == (ids[i], ids[i + 1])
        c = conns[hop["connection_id"]]
        side = 1 if (c.record1, c.record2) == (ids[i], ids[i + 1]) else 2
        assert H.has_edge(ids[i], ids[i + 1], key=(c.id, side)), hop
        from_role, to_role = (c.role1, c.role2) if side == 1 else (c.role2, c.role1)
        assert hop["relationship_type"] == g.rel_type(to_role)
        names = {r.id: r.name for r in g.roles.values()}
        assert hop["to_role"] == (to_role and {"id": to_role, "name": names[to_role]})
        assert hop["from_role"] == (from_role and {"id": from_role, "name": names[from_role]})
    return tuple(path["connections"])


def _filters(state: str, as_of: date | None) -> dict[str, Any]:
    return {"state": state, "as_of": as_of.isoformat() if as_of else None}


def check_chains(crm: Crm, rng: random.Random, n_starts: int = 9) -> None:
    g, G = crm.g, crm.G
    checked = 0
    for start in _starts(g, rng, n_starts):
        for role in rng.sample(list(g.roles.values()), 4):
            state, as_of = _state(g, rng)
            min_depth, max_depth = rng.choice([(1, 1), (1, 3), (2, 5), (1, 6)])
            # Ask by id or by name: both resolve to the role.
            key = rng.choice([role.id, role.name, role.name.upper()])
            H = oracle.restrict(G, [role.relationship_type], state, as_of)
            expected = oracle.simple_paths(H, start, min_depth, max_depth)
            body = crm.get(
                f"/records/{start}/chains",
                role=key,
                min_depth=min_depth,
                max_depth=max_depth,
                limit=1000,
                **_filters(state, as_of),
            )
            got = [_check_path(p, g, H) for p in body["chains"]]
            assert all(p["records"][0]["id"] == start for p in body["chains"])
            assert len(got) == len(set(got)), "a chain is listed twice"
            where = (start, role.name, state, as_of, min_depth, max_depth)
            if len(expected) > 1000:
                assert body["truncated"] is True and len(got) == 1000, where
                assert set(got) <= expected, where
            else:
                assert set(got) == expected, where
                assert body["truncated"] is False
            depths = [p["depth"] for p in body["chains"]]
            assert depths == sorted(depths)
            if len(expected) > 2:
                cut = crm.get(
                    f"/records/{start}/chains",
                    role=key,
                    min_depth=min_depth,
                    max_depth=max_depth,
                    limit=2,
                    **_filters(state, as_of),
                )
                assert cut["truncated"] is True and len(cut["chains"]) == 2
                assert {_check_path(p, g, H) for p in cut["chains"]} <= expected
            checked += 1
    assert checked == 4 * n_starts


def check_reach(crm: Crm, rng: random.Random, n_starts: int = 10) -> None:
    g, G = crm.g, crm.G
    roles: list[oracle.Role | None] = [None, *g.roles.values()]
    for start in _starts(g, rng, n_starts):
        for role in rng.sample(roles, 4):
            state, as_of = _state(g, rng)
            max_depth = rng.choice([1, 2, 4, 6, 10])
            types = [role.relationship_type] if role else None
            H = oracle.restrict(G, types, state, as_of)
            body = crm.get(
                f"/records/{start}/reach",
                role=role.name if role else None,
                max_depth=max_depth,
                **_filters(state, as_of),
            )
            expected = oracle.per_depth(H, start, max_depth)
            assert body["per_depth"] == expected, (start, role, state, as_of, max_depth)
            assert body["total"] == sum(expected)
            reciprocal = role and role.reciprocal_role_id
            if not role or not reciprocal or reciprocal == role.id:
                assert body["upline"] == []
                continue
            up_type = g.roles[reciprocal].relationship_type
            U = oracle.restrict(G, [up_type], state, as_of)
            chain = [start] + [r["id"] for r in body["upline"]]
            assert all(U.has_edge(a, b) for a, b in itertools.pairwise(chain))
            no_root = oracle.upline_length(U, start, 10) == 0 and U.out_degree(start) > 0
            assert body["upline_truncated"] == no_root, (start, role, chain)
            if no_root:  # the upline goes on past 10 hops (or loops): its nearest part
                assert 1 <= len(chain) - 1 <= 10, (start, role, chain)
                continue
            assert len(chain) - 1 == oracle.upline_length(U, start, 10), (start, role, chain)
            if len(chain) > 1:
                assert U.out_degree(chain[-1]) == 0, "the upline stops short of the root"


def check_network(crm: Crm, rng: random.Random, n_starts: int = 8) -> None:
    g, G = crm.g, crm.G
    r = g.roles
    role_sets: list[list[oracle.Role] | None] = [
        None,
        [r["role-referral"], r["role-referred-by"]],
        [r["role-friend"], r["role-colleague"]],
        [r["role-employee"]],
    ]
    for start in _starts(g, rng, n_starts):
        for roles in rng.sample(role_sets, 3):
            state, as_of = _state(g, rng)
            depth = rng.choice([1, 2, 3])
            limit = rng.choice([5, 30, 1000])
            types = [r.relationship_type for r in roles] if roles else None
            H = oracle.restrict(G, types, state, as_of)
            # Roles as a comma-separated list, or as the parameter repeated.
            names = [r.name for r in roles] if roles else None
            params = {"roles": ",".join(names) if names and rng.random() < 0.5 else names}
            body = crm.get(
                f"/records/{start}/network",
                depth=depth,
                limit=limit,
                **params,
                **_filters(state, as_of),
            )
            dist, _ = oracle.network(H, start, depth)
            nodes = [n["id"] for n in body["nodes"]]
            assert nodes[0] == start and len(set(nodes)) == len(nodes)
            assert set(nodes) <= set(dist)
            assert all(n["type"] == g.records[n["id"]] for n in body["nodes"])
            assert body["truncated"] == (len(dist) > limit)
            if body["truncated"]:
                assert len(nodes) == limit
                # Nearest first: every record closer than the farthest kept one is kept.
                farthest = max(dist[n] for n in nodes)
                assert {n for n, d in dist.items() if d < farthest} <= set(nodes)
            else:
                assert set(nodes) == set(dist)
            edges = [e["connection_id"] for e in body["edges"]]
            assert len(edges) == len(set(edges)), "a connection is drawn twice"
            assert set(edges) == oracle.induced_connections(H, set(nodes))
            for e in body["edges"]:
                assert {e["from_id"], e["to_id"]} <= set(nodes)


def check_shortest(crm: Crm, rng: random.Random, tries: int = 32) -> tuple[int, int]:
    g, G = crm.g, crm.G
    r = g.roles
    role_sets: list[list[oracle.Role] | None] = [
        None,
        [r["role-referral"], r["role-referred-by"]],
        [r["role-friend"], r["role-colleague"]],
        [r["role-friend"]],
        [r["role-employee"], r["role-employer"], r["role-colleague"]],
    ]
    records = sorted(g.records)
    found = missing = 0
    for _ in range(tries):
        a, b = rng.sample(records, 2) if rng.random() < 0.95 else [rng.choice(records)] * 2
        roles = rng.choice(role_sets)
        state, as_of = _state(g, rng)
        max_depth = rng.choice([2, 4, 6, 10])
        types = [r.relationship_type for r in roles] if roles else None
        H = oracle.restrict(G, types, state, as_of)
        near = sorted(set(nx.single_source_shortest_path_length(H, a, cutoff=6)) - {a})
        if near and a != b and rng.random() < 0.6:
            b = rng.choice(near)  # random pairs are mostly unconnected under a role filter
        expected = oracle.shortest_paths(H, a, b)
        length = len(next(iter(expected))) if expected else None
        params: dict[str, Any] = {
            "from": a,
            "to": b,
            "roles": [r.id for r in roles] if roles else None,
            "max_depth": max_depth,
            **_filters(state, as_of),
        }
        if length is None or length > max_depth:
            response = crm.client.get(
                "/paths/shortest", params={k: v for k, v in params.items() if v is not None}
            )
            assert response.status_code == 404, (params, response.text)
            assert f"'{a}'" in response.json()["detail"]
            missing += 1
            continue
        one = crm.get("/paths/shortest", **params)
        assert len(one["paths"]) == 1 and one["truncated"] is False
        assert one["paths"][0]["depth"] == length
        assert _check_path(one["paths"][0], g, H) in expected
        every = crm.get("/paths/shortest", **params, all="true", limit=1000)
        got = [_check_path(p, g, H) for p in every["paths"]]
        assert len(got) == len(set(got)) and set(got) == expected, params
        if len(expected) > 1:
            cut = crm.get("/paths/shortest", **params, all="true", limit=1)
            assert cut["truncated"] is True and len(cut["paths"]) == 1
        found += 1
    return found, missing


@pytest.mark.parametrize("seed", SEEDS, ids=SEED_IDS)
def test_chains_match_networkx(client: TestClient, seed: int) -> None:
    check_chains(crm_for(client, seed), random.Random(seed))


@pytest.mark.parametrize("seed", SEEDS, ids=SEED_IDS)
def test_reach_matches_networkx(client: TestClient, seed: int) -> None:
    check_reach(crm_for(client, seed), random.Random(seed * 7))


@pytest.mark.parametrize("seed", SEEDS, ids=SEED_IDS)
def test_network_matches_networkx(client: TestClient, seed: int) -> None:
    check_network(crm_for(client, seed), random.Random(seed * 13))


@pytest.mark.parametrize("seed", SEEDS, ids=SEED_IDS)
def test_shortest_paths_match_networkx(client: TestClient, seed: int) -> None:
    found, missing = check_shortest(crm_for(client, seed), random.Random(seed * 17))
    assert found >= 5 and missing >= 1, (found, missing)  # both outcomes were exercised


def test_boundary_days_are_reached(client: TestClient) -> None:
    """The generated graphs do put windows' first and last days on the as_of days asked."""
    for seed in SEEDS:
        g = oracle.generate(seed)
        starts = {c.start for c in g.conns} & set(oracle.BOUNDARY)
        ends = {c.end for c in g.conns} & set(oracle.BOUNDARY)
        assert starts and ends, seed
        hub = max(oracle.nx_graph(g).in_degree(), key=lambda x: x[1])
        assert hub[1] >= 300, hub


def _lone_conns(g: oracle.CrmGraph, role_id: str) -> list[oracle.Conn]:
    """Connections of a role whose two records share no other connection (safe to retype)."""
    pairs: dict[frozenset[str], int] = {}
    for c in g.conns:
        pairs[frozenset((c.record1, c.record2))] = (
            pairs.get(frozenset((c.record1, c.record2)), 0) + 1
        )
    return [
        c for c in g.conns if c.role2 == role_id and pairs[frozenset((c.record1, c.record2))] == 1
    ]


@pytest.mark.parametrize("seed", SEEDS, ids=SEED_IDS)
def test_traversals_after_mutations(client: TestClient, seed: int) -> None:
    """Rename a role, retype connections and a record, change states and dates, delete
    connections and records; every traversal must then answer for the changed graph."""
    crm = crm_for(client, seed)
    g, rng = crm.g, random.Random(seed * 31)
    check_reach(crm, random.Random(seed), n_starts=4)

    # A role rename retypes its edges: Colleague becomes Coworker.
    renamed = client.patch("/connection-roles/role-colleague", json={"name": "Coworker"})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["relationship_type"] == "COWORKER"
    oracle.rename_role(g, "role-colleague", "Coworker", "COWORKER")
    old_name = client.get(f"/records/{sorted(g.records)[0]}/chains", params={"role": "Colleague"})
    assert old_name.status_code == 404

    # Friend connections retyped to Coworker (both sides), others to inactive or a new window.
    lone = _lone_conns(g, "role-friend")
    for c in rng.sample(lone, min(8, len(lone))):
        roles = {"record1_role_id": "role-colleague", "record2_role_id": "role-colleague"}
        patched = client.patch(f"/connections/{c.id}", json=roles)
        assert patched.status_code == 200, patched.text
        oracle.replace_conn(g, c.id, role1="role-colleague", role2="role-colleague")
    for c in rng.sample([c for c in g.conns if c.state == "active"], 10):
        change: dict[str, Any] = (
            {"state": "inactive"}
            if rng.random() < 0.5
            else {"effective_start": None, "effective_end": rng.choice(oracle.BOUNDARY).isoformat()}
        )
        patched = client.patch(f"/connections/{c.id}", json=change)
        assert patched.status_code == 200, (change, patched.text)
        if "state" in change:
            oracle.replace_conn(g, c.id, state="inactive")
        else:
            oracle.replace_conn(
                g, c.id, start=None, end=date.fromisoformat(change["effective_end"])
            )

    # A contact in the referral forest becomes a lead (its label and type change, its edges stay).
    referrers = sorted({c.record1 for c in g.conns if c.role2 == "role-referral"})
    retyped = rng.choice(referrers)
    put = client.put(f"/records/{retyped}", json={"type": "lead", "name": f"lead {retyped}"})
    assert put.status_code == 200 and put.json()["type"] == "lead", put.text
    g.records[retyped] = "lead"

    # Deletes: connections (one a referral in the middle of a chain) and records (one a hub's
    # employee, one with several connections).
    gone = rng.sample(g.conns, 12) + [c for c in g.conns if c.record1 == retyped][:1]
    for c in {c.id: c for c in gone}.values():
        assert client.delete(f"/connections/{c.id}").status_code == 204
        oracle.delete_conn(g, c.id)
    busiest = max(
        (r for r in g.records if r != retyped and not r.endswith("-a00")),
        key=lambda r: sum(r in (c.record1, c.record2) for c in g.conns),
    )
    for record in (busiest, f"s{seed}-h007"):
        assert client.delete(f"/records/{record}").status_code == 204
        oracle.delete_record(g, record)

    # Set-up of the second round: Neo4j holds exactly the mutated model's connections.
    edges = client.get(f"/records/{retyped}/connections", params={"limit": 1000}).json()["items"]
    mine = {c.id for c in g.conns if retyped in (c.record1, c.record2) and c.state == "active"}
    assert {e["connection_id"] for e in edges} == mine
    assert client.get(f"/records/{busiest}").status_code == 404

    crm.refresh()
    check_chains(crm, random.Random(seed + 1), n_starts=5)
    check_reach(crm, random.Random(seed + 2), n_starts=5)
    check_network(crm, random.Random(seed + 3), n_starts=5)
    check_shortest(crm, random.Random(seed + 4), tries=16)
    # The retyped record answers as a lead wherever it appears.
    net = crm.get(f"/records/{retyped}/network", depth=1)
    assert net["nodes"][0]["type"] == "lead"


# --- the contract's edges ------------------------------------------------------------------------


def test_hops_name_both_roles(crm: Crm) -> None:
    g = crm.g
    c = next(
        c
        for c in g.conns
        if c.role2 == "role-referral" and c.state == "active" and not c.start and not c.end
    )
    body = crm.get(f"/records/{c.record1}/chains", role="Referral", max_depth=1)
    hop = next(p["hops"][0] for p in body["chains"] if p["connections"] == [c.id])
    assert hop == {
        "connection_id": c.id,
        "from_id": c.record1,
        "to_id": c.record2,
        "relationship_type": "REFERRAL",
        "from_role": {"id": "role-referred-by", "name": "Referred by"},
        "to_role": {"id": "role-referral", "name": "Referral"},
    }
    back = crm.get(f"/records/{c.record2}/chains", role="referred by", max_depth=1)
    assert [c.id] in [p["connections"] for p in back["chains"]]


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/records/{a}/chains?role=Referral&max_depth=11", "max_depth"),
        ("/records/{a}/chains?role=Referral&min_depth=0", "min_depth"),
        ("/records/{a}/chains?role=Referral&min_depth=4&max_depth=3", "min_depth"),
        ("/records/{a}/chains", "role"),
        ("/records/{a}/chains?role=Referral&limit=0", "limit"),
        ("/records/{a}/reach?max_depth=11", "max_depth"),
        ("/records/{a}/reach?as_of=2021-13-01", "as_of"),
        ("/records/{a}/reach?state=gone", "state"),
        ("/records/{a}/network?depth=11", "depth"),
        ("/records/{a}/network?limit=0", "limit"),
        ("/paths/shortest?from={a}&to={b}&max_depth=11", "max_depth"),
        ("/paths/shortest?to={b}", "from"),
        ("/paths/shortest?from={a}&to=bad%20id", "to"),
    ],
)
def test_bad_input_is_422_naming_the_field(crm: Crm, url: str, field: str) -> None:
    a, b = sorted(crm.g.records)[:2]
    response = crm.client.get(url.format(a=a, b=b))
    assert response.status_code == 422, response.text
    assert field in response.json()["detail"]


@pytest.mark.parametrize(
    ("url", "named"),
    [
        ("/records/nobody/chains?role=Referral", "record 'nobody'"),
        ("/records/{a}/chains?role=Nemesis", "connection role 'Nemesis'"),
        ("/records/nobody/reach", "record 'nobody'"),
        ("/records/{a}/reach?role=Nemesis", "connection role 'Nemesis'"),
        ("/records/nobody/network", "record 'nobody'"),
        ("/records/{a}/network?roles=Friend,Nemesis", "connection role 'Nemesis'"),
        ("/paths/shortest?from=nobody&to={a}", "record 'nobody'"),
        ("/paths/shortest?from={a}&to=nobody", "record 'nobody'"),
        ("/paths/shortest?from={a}&to={b}&roles=Nemesis", "connection role 'Nemesis'"),
    ],
)
def test_unknown_record_or_role_is_404_naming_it(crm: Crm, url: str, named: str) -> None:
    a, b = sorted(crm.g.records)[:2]
    response = crm.client.get(url.format(a=a, b=b))
    assert response.status_code == 404, response.text
    assert named in response.json()["detail"]


def test_shortest_path_to_itself_is_empty(crm: Crm) -> None:
    a = sorted(crm.g.records)[0]
    body = crm.get("/paths/shortest", **{"from": a, "to": a})
    assert [(p["depth"], [r["id"] for r in p["records"]]) for p in body["paths"]] == [(0, [a])]


def test_no_path_across_graphs_is_404(crm: Crm) -> None:
    other = oracle.generate(SEEDS[1])
    _load_records_and_connections(crm.client, other)
    a = sorted(crm.g.records)[0]
    b = sorted(other.records)[0]
    assert crm.client.get(f"/records/{b}").status_code == 200  # set-up: both graphs are there
    response = crm.client.get("/paths/shortest", params={"from": a, "to": b, "max_depth": 10})
    assert response.status_code == 404
    assert response.json()["detail"] == f"no path from '{a}' to '{b}' within 10 hops"


def _load_records_and_connections(client: TestClient, g: oracle.CrmGraph) -> None:
    records = [{"id": i, "type": t, "name": i} for i, t in g.records.items()]
    assert client.post("/batch/records", json=records).json()["created"] == len(records)
    _, conns = oracle.api_bodies(g)
    assert client.post("/batch/connections", json=conns).json()["created"] == len(conns)


def test_the_hop_bound_is_exactly_max_depth(client: TestClient) -> None:
    """A referral line of 12: chains and shortest paths reach exactly max_depth hops, never
    one more or one fewer (the bound is set in the query text, so an off-by-one would show)."""
    g = oracle.CrmGraph(roles={r.id: r for r in oracle.ROLES})
    line = [f"l{i:02d}" for i in range(12)]
    g.records = dict.fromkeys(line, "contact")
    g.conns = [
        oracle.Conn(f"k{i:02d}", a, b, "role-referred-by", "role-referral")
        for i, (a, b) in enumerate(itertools.pairwise(line))
    ]
    _load(client, g)
    for depth in range(1, 11):
        chains = client.get(
            "/records/l00/chains", params={"role": "Referral", "max_depth": depth, "limit": 100}
        ).json()["chains"]
        assert sorted(c["depth"] for c in chains) == list(range(1, depth + 1)), depth
        params: dict[str, str | int] = {"from": "l00", "to": f"l{depth:02d}", "max_depth": depth}
        found = client.get("/paths/shortest", params=params)
        assert found.status_code == 200 and found.json()["paths"][0]["depth"] == depth
        every = client.get("/paths/shortest", params=params | {"all": "true"})
        assert [p["depth"] for p in every.json()["paths"]] == [depth]
        short = client.get("/paths/shortest", params=params | {"max_depth": depth - 1})
        assert short.status_code == (404 if depth > 1 else 422), (depth, short.text)
    for bad in ("11", "-1", "3) RETURN 1 //", "1.5"):
        response = client.get("/records/l00/chains", params={"role": "Referral", "max_depth": bad})
        assert response.status_code == 422 and "max_depth" in response.json()["detail"]
