"""A runaway traversal is cut off by Neo4j at the query timeout: 503, and nothing left running."""

import time

from fastapi.testclient import TestClient
from neo4j import Driver

from graphsvc.api.app import create_app
from graphsvc.config import Settings
from tests.helpers import query


def test_runaway_traversal_is_stopped_with_503(
    client: TestClient, settings: Settings, driver: Driver
) -> None:
    # Set up through the normal app: at a 0.5 s limit the writes themselves time out under load.
    role = client.post(
        "/connection-roles",
        json={"id": "friend", "name": "Friend", "reciprocal_role_id": "friend"},
    )
    assert role.status_code == 201, role.text
    nodes = [f"n{i}" for i in range(7)]
    for n in nodes:
        assert client.put(f"/records/{n}", json={"type": "contact", "name": n}).status_code == 201
    for i, a in enumerate(nodes):
        for b in nodes[i + 1 :]:
            made = client.post(
                "/connections",
                json={"record1_id": a, "record2_id": b, "record2_role_id": "friend"},
            )
            assert made.status_code == 201
    with TestClient(create_app(settings.model_copy(update={"query_timeout": 0.5}))) as limited:
        # No simple path of 10 hops exists among 7 records, but the trails to rule out are millions.
        started = time.monotonic()
        response = limited.get(
            "/records/n0/chains", params={"role": "Friend", "min_depth": 10, "max_depth": 10}
        )
        assert response.status_code == 503, response.text
        assert response.headers["Retry-After"]
        assert "limit" in response.json()["detail"]
        assert time.monotonic() - started < 20
    running = query(
        driver,
        "SHOW TRANSACTIONS YIELD currentQuery "
        "WHERE currentQuery STARTS WITH $prefix RETURN count(*) AS n",
        prefix="// Chains:",
    )
    assert running[0]["n"] == 0
