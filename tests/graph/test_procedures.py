"""Reach and network run graphsvc's own procedures (graphsvc.reach, graphsvc.network; procedures/)
when Neo4j has them, and the Cypher searches when it does not. The oracle tests
(test_traversals.py) prove the answers; these prove which search gave them, and that both give
the same."""

import itertools
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from neo4j import Driver, GraphDatabase

from graphsvc import cypher, procedures
from graphsvc.api.app import create_app
from graphsvc.config import Settings
from graphsvc.graph.traversals import _network_shape
from graphsvc.neo4j_local import BOOT, LocalNeo4j
from tests.graph import oracle
from tests.graph.test_traversals import SEEDS, STATES, crm_for
from tests.helpers import TEST_PASSWORD, free_port, local_test_settings


def _operators(plan: dict[str, object]) -> Iterator[str]:
    yield f"{plan['operatorType']} {plan.get('args', {}).get('Details', '')}"  # type: ignore[attr-defined]
    for child in plan.get("children", []):  # type: ignore[attr-defined]
        yield from _operators(child)


def test_reach_runs_the_procedure(
    client: TestClient, driver: Driver, caplog: pytest.LogCaptureFixture
) -> None:
    """The test Neo4j got graphsvc.reach from the project's own path, the reach query's plan
    calls it, and the API's answers are the procedure's and the Cypher search's."""
    names = driver.execute_query(
        "SHOW PROCEDURES YIELD name, mode WHERE name = 'graphsvc.reach' RETURN name, mode"
    ).records
    assert [(r["name"], r["mode"]) for r in names] == [("graphsvc.reach", "READ")]
    params = {"id": "x", "role": None, "max_depth": 3, "state": "active", "as_of": None}
    plan = driver.execute_query("EXPLAIN " + cypher.load("traversal_reach_procedure"), params)
    assert any(
        op.startswith("ProcedureCall") and "graphsvc.reach" in op
        for op in _operators(plan.summary.plan)  # type: ignore[arg-type]
    )

    crm = crm_for(client, SEEDS[0])
    starts = sorted(crm.g.records)[:: max(1, len(crm.g.records) // 8)]
    with caplog.at_level(logging.WARNING, logger="graphsvc"):
        for start in starts:
            for state, as_of in STATES:
                body = crm.get(f"/records/{start}/reach", max_depth=4, state=state, as_of=as_of)
                row = {**params, "id": start, "max_depth": 4, "as_of": as_of}
                row["state"] = None if state == "any" else state
                (direct,) = driver.execute_query(
                    "MATCH (s:Record {id: $id}) CALL graphsvc.reach(s, null, $max_depth, "
                    "$state, $as_of) YIELD perDepth RETURN perDepth",
                    row,
                ).records
                (cypher_row,) = driver.execute_query(cypher.load("traversal_reach"), row).records
                counts = list(direct["perDepth"])
                assert counts == cypher_row["per_depth"] + [0] * (4 - len(cypher_row["per_depth"]))
                while counts and counts[-1] == 0:
                    counts.pop()
                assert body["per_depth"] == counts, (start, state, as_of)
    assert "runs in Cypher" not in caplog.text


def _network(row: dict[str, Any], in_engine: bool) -> tuple[bool, dict[str, Any], list[Any]]:
    """Whether the cap cut the answer, its records by id and its edges, the Cypher query's in
    the procedure's shape as the service converts it."""
    records, edges = (row["records"], row["edges"]) if in_engine else _network_shape(row)
    return row["truncated"], {r["id"]: r for r in records}, edges


def test_network_runs_the_procedure(
    client: TestClient, driver: Driver, caplog: pytest.LogCaptureFixture
) -> None:
    """The network query's plan calls graphsvc.network, which answers as the Cypher search
    does: the same records nearest first when the cap cuts nothing (timestamps as the same text),
    each connection among them once, in the same direction."""
    params = {"id": "x", "roles": None, "max_depth": 2, "state": "active", "as_of": None}
    plan = driver.execute_query(
        "EXPLAIN " + cypher.load("traversal_network_procedure"), params | {"limit": 300}
    )
    assert any(
        op.startswith("ProcedureCall") and "graphsvc.network" in op
        for op in _operators(plan.summary.plan)  # type: ignore[arg-type]
    )
    crm = crm_for(client, SEEDS[0])
    # The busiest records too: hubs (more edges than records kept) take the other search path.
    busiest = sorted(crm.g.records, key=lambda r: -crm.G.out_degree(r))[:4]
    starts = busiest + sorted(crm.g.records)[:: max(1, len(crm.g.records) // 6)]
    compared = truncated = 0
    with caplog.at_level(logging.WARNING, logger="graphsvc"):
        for start in starts:
            for (state, as_of), roles, depth, limit in itertools.product(
                [*STATES[:4], STATES[-1]], [None, ["Friend", "Colleague"], []], [1, 3], [4, 1000]
            ):
                row: dict[str, Any] = {
                    "id": start,
                    "roles": roles,
                    "max_depth": depth,
                    "limit": limit,
                }
                row |= {"state": None if state == "any" else state, "as_of": as_of}
                (engine,) = driver.execute_query(
                    cypher.load("traversal_network_procedure"), row
                ).records
                (plain,) = driver.execute_query(cypher.load("traversal_network"), row).records
                cut, records, edges = _network(engine.data(), in_engine=True)
                assert records and engine["records"][0]["id"] == start
                assert cut == plain["truncated"] and len(records) == len(plain["records"])
                if not cut:
                    assert (records, edges) == _network(plain.data(), in_engine=False)[1:], (
                        start,
                        row,
                    )
                compared += 1
                truncated += cut
                if roles is None and depth == 3:
                    body = crm.get(
                        f"/records/{start}/network", depth=3, limit=limit, state=state, as_of=as_of
                    )
                    assert {n["id"] for n in body["nodes"]} == set(records)
    assert "runs in Cypher" not in caplog.text
    assert truncated and compared - truncated, "both cut and whole answers were compared"


@pytest.fixture(scope="module")
def bare_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """A Neo4j of its own (free ports) started without graphsvc's procedures: as a Neo4j the
    project did not set up (Aura, a cluster), which has APOC at most."""
    settings = local_test_settings(
        neo4j_home=tmp_path_factory.mktemp("bare"),
        neo4j_bolt_port=free_port(),
        neo4j_http_port=free_port(),
    )
    server = LocalNeo4j(settings)
    server.start()  # conf, password, plugins
    server.stop()
    Path(settings.neo4j_home / "plugins" / procedures.JAR).unlink()
    server._run(server.java(), BOOT, "start")  # as start() does, without installing plugins
    try:
        server.wait_for_bolt()
        yield settings
    finally:
        server.stop()


@pytest.mark.slow
def test_reach_falls_back_to_cypher_without_the_procedure(
    bare_server: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    uri = f"bolt://127.0.0.1:{bare_server.neo4j_bolt_port}"
    with GraphDatabase.driver(uri, auth=("neo4j", TEST_PASSWORD)) as bare:
        names = bare.execute_query("SHOW PROCEDURES YIELD name WHERE name STARTS WITH 'graphsvc'")
        assert names.records == []
    settings = bare_server.model_copy(update={"neo4j_uri": uri})
    with TestClient(create_app(settings)) as client:
        crm = crm_for(client, SEEDS[0])
        start = max(crm.g.records, key=lambda r: crm.G.out_degree(r))
        with caplog.at_level(logging.WARNING, logger="graphsvc"):
            for state, as_of in STATES[:3]:
                body = crm.get(f"/records/{start}/reach", max_depth=3, state=state, as_of=as_of)
                H = oracle.restrict(crm.G, None, state, as_of)
                assert body["per_depth"] == oracle.per_depth(H, start, 3)
            for depth in (1, 2, 3):
                body = crm.get(f"/records/{start}/network", depth=depth, limit=1000)
                dist, _ = oracle.network(oracle.restrict(crm.G, None, "active", None), start, depth)
                assert {n["id"] for n in body["nodes"]} == set(dist)
        # Each found missing once, then the Cypher search straight away.
        assert caplog.text.count("procedure for traversal_reach is not in Neo4j") == 1
        assert caplog.text.count("procedure for traversal_network is not in Neo4j") == 1


def test_network_timestamps_as_cypher_writes_them(driver: Driver) -> None:
    """graphsvc.network writes a record's timestamps as text itself; the same text as Cypher's
    toString() (the fallback's), whatever the offset, zone, precision or year."""
    driver.execute_query(
        "CREATE (:Record {id: 'ts-a', type: 'contact', name: 'a',"
        "  created_at: datetime('2026-01-01T10:00:00Z'),"
        "  updated_at: datetime('2026-01-01T10:00:00.1+02:00')})"
        "-[:TS {connection_id: 'ts-c', side: 1, state: 'active'}]->"
        "(:Record {id: 'ts-b', type: 'contact', name: 'b',"
        "  created_at: datetime('2026-01-01T10:00:00.123456789[Europe/Paris]'),"
        "  updated_at: datetime('+12026-06-01T00:00-05:30')})"
    )
    row = {"id": "ts-a", "roles": None, "max_depth": 1, "limit": 10, "state": None, "as_of": None}
    (engine,) = driver.execute_query(cypher.load("traversal_network_procedure"), row).records
    (plain,) = driver.execute_query(cypher.load("traversal_network"), row).records
    assert len(engine["records"]) == 2
    assert _network(engine.data(), in_engine=True) == _network(plain.data(), in_engine=False)
