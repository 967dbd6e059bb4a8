"""Chains, reach, network and shortest paths, checked against networkx on seeded random graphs.

The graphs go in through the API (roles one by one, records and connections in batches), and
every answer is compared with the same computation on a networkx MultiDiGraph built from the
same connection list (tests/oracle.py). The graphs are loaded once for the module: the tests use
their own client, so conftest's per-test wipe (which keys on the `driver`/`client` fixtures)
leaves them in place, and every test only reads.
"""

import itertools
import random
from collections.abc import Iterator
from datetime import date
from typing import Any

import networkx as nx
import pytest
from fastapi.testclient import TestClient

from graphsvc import cypher
from graphsvc.api.app import create_app
from graphsvc.config import Settings
from graphsvc.errors import InvalidError
from graphsvc.graph.db import create_driver
from graphsvc.graph.traversals import with_max_depth
from tests import oracle

SEEDS = [11, 12, 13]
STATES: list[tuple[str, date | None]] = [
    ("active", None),
    ("any", None),
    ("inactive", None),
    ("active", date(2021, 6, 1)),
    ("any", date(2023, 3, 15)),
]
ROLE_NAMES = {r.id: r.name for r in oracle.ROLES}


class Crm:
    def __init__(self, client: TestClient, graphs: dict[int, oracle.CrmGraph]) -> None:
        self.client = client
        self.graphs = graphs
        self.nx = {seed: oracle.nx_graph(g) for seed, g in graphs.items()}

    def get(self, url: str, **params: Any) -> Any:
        response = self.client.get(url, params={k: v for k, v in params.items() if v is not None})
        assert response.status_code == 200, (url, params, response.text)
        return response.json()


def _load(client: TestClient, g: oracle.CrmGraph, roles: bool) -> None:
    role_bodies, conn_bodies = oracle.api_bodies(g)
    if roles:
        # Reciprocals point at roles created later, so create first, then link.
        for body in role_bodies:
            plain = {k: v for k, v in body.items() if k != "reciprocal_role_id"}
            assert client.post("/connection-roles", json=plain).status_code == 201
        for body in role_bodies:
            if "reciprocal_role_id" in body:
                patch = {"reciprocal_role_id": body["reciprocal_role_id"]}
                assert (
                    client.patch(f"/connection-roles/{body['id']}", json=patch).status_code == 200
                )
    records = [{"id": i, "type": t, "name": f"{t} {i}"} for i, t in g.records.items()]
    result = client.post("/batch/records", json=records).json()
    assert result["failed"] == [] and result["created"] == len(records), result
    for body, conn in zip(conn_bodies, g.conns, strict=True):
        body["state"] = conn.state
    result = client.post("/batch/connections", json=conn_bodies).json()
    assert result["failed"] == [] and result["created"] == len(conn_bodies), result


@pytest.fixture(scope="module")
def crm(settings: Settings) -> Iterator[Crm]:
    driver = create_driver(settings)
    try:
        with driver.session(database=settings.neo4j_database) as session:
            session.run(
                "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"
            ).consume()
    finally:
        driver.close()
    graphs = {seed: oracle.generate(seed) for seed in SEEDS}
    with TestClient(create_app(settings)) as client:
        for i, g in enumerate(graphs.values()):
            _load(client, g, roles=i == 0)
        yield Crm(client, graphs)


def _starts(g: oracle.CrmGraph, rng: random.Random, k: int) -> list[str]:
    contacts = sorted(i for i, t in g.records.items() if t == "contact")
    accounts = sorted(i for i, t in g.records.items() if t == "account")
    return rng.sample(contacts, k - 2) + rng.sample(accounts, 2)


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
        assert hop["to_role"] == (to_role and {"id": to_role, "name": ROLE_NAMES[to_role]})
        assert hop["from_role"] == (from_role and {"id": from_role, "name": ROLE_NAMES[from_role]})
    return tuple(path["connections"])


def _filters(state: str, as_of: date | None) -> dict[str, Any]:
    return {"state": state, "as_of": as_of.isoformat() if as_of else None}


@pytest.mark.parametrize("seed", SEEDS)
def test_chains_match_networkx(crm: Crm, seed: int) -> None:
    g, G, rng = crm.graphs[seed], crm.nx[seed], random.Random(seed)
    checked = 0
    for start in _starts(g, rng, 9):
        for role in rng.sample(oracle.ROLES, 4):
            state, as_of = rng.choice(STATES)
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
            assert set(got) == expected, (start, role.name, state, as_of, min_depth, max_depth)
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
    assert checked == 36


@pytest.mark.parametrize("seed", SEEDS)
def test_reach_matches_networkx(crm: Crm, seed: int) -> None:
    g, G, rng = crm.graphs[seed], crm.nx[seed], random.Random(seed * 7)
    roles: list[oracle.Role | None] = [None, *oracle.ROLES]
    for start in _starts(g, rng, 10):
        for role in rng.sample(roles, 4):
            state, as_of = rng.choice(STATES)
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


@pytest.mark.parametrize("seed", SEEDS)
def test_network_matches_networkx(crm: Crm, seed: int) -> None:
    g, G, rng = crm.graphs[seed], crm.nx[seed], random.Random(seed * 13)
    role_sets: list[list[oracle.Role] | None] = [
        None,
        [oracle.ROLES[0], oracle.ROLES[1]],
        [oracle.ROLES[2], oracle.ROLES[3]],
        [oracle.ROLES[4]],
    ]
    for start in _starts(g, rng, 8):
        for roles in rng.sample(role_sets, 3):
            state, as_of = rng.choice(STATES)
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


@pytest.mark.parametrize("seed", SEEDS)
def test_shortest_paths_match_networkx(crm: Crm, seed: int) -> None:
    g, G, rng = crm.graphs[seed], crm.nx[seed], random.Random(seed * 17)
    role_sets: list[list[oracle.Role] | None] = [
        None,
        [oracle.ROLES[0], oracle.ROLES[1]],
        [oracle.ROLES[2], oracle.ROLES[3]],
        [oracle.ROLES[2]],
        [oracle.ROLES[4], oracle.ROLES[5], oracle.ROLES[3]],
    ]
    records = sorted(g.records)
    found = missing = 0
    for _ in range(32):
        a, b = rng.sample(records, 2) if rng.random() < 0.95 else [rng.choice(records)] * 2
        roles = rng.choice(role_sets)
        state, as_of = rng.choice(STATES)
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
    assert found >= 10 and missing >= 3, (found, missing)


# --- the contract's edges ------------------------------------------------------------------------


def test_hops_name_both_roles(crm: Crm) -> None:
    g = crm.graphs[SEEDS[0]]
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
    a, b = sorted(crm.graphs[SEEDS[0]].records)[:2]
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
    a, b = sorted(crm.graphs[SEEDS[0]].records)[:2]
    response = crm.client.get(url.format(a=a, b=b))
    assert response.status_code == 404, response.text
    assert named in response.json()["detail"]


def test_shortest_path_to_itself_is_empty(crm: Crm) -> None:
    a = sorted(crm.graphs[SEEDS[0]].records)[0]
    body = crm.get("/paths/shortest", **{"from": a, "to": a})
    assert [(p["depth"], [r["id"] for r in p["records"]]) for p in body["paths"]] == [(0, [a])]


def test_no_path_across_graphs_is_404(crm: Crm) -> None:
    a = sorted(crm.graphs[SEEDS[0]].records)[0]
    b = sorted(crm.graphs[SEEDS[1]].records)[0]
    response = crm.client.get("/paths/shortest", params={"from": a, "to": b, "max_depth": 10})
    assert response.status_code == 404
    assert response.json()["detail"] == f"no path from '{a}' to '{b}' within 10 hops"


@pytest.mark.parametrize(
    "name", ["traversal_chains", "traversal_shortest", "traversal_shortest_all"]
)
def test_only_a_validated_integer_sets_the_hop_bound(name: str) -> None:
    assert "/*max_depth*/10" in cypher.load(name)
    query = with_max_depth(name, 4)
    assert query == cypher.load(name).replace("/*max_depth*/10", "4")
    for bad in (-1, 11, "3) RETURN 1 //"):
        with pytest.raises(InvalidError):
            with_max_depth(name, bad)  # type: ignore[arg-type]
