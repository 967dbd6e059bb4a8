"""A record's connections page (GET /records/{id}/connections) on a hub, against Python.

The page is read off the key nodes' (record1_id, id) and (record2_id, id) indexes, two streams
merged in connection-id order, each filtered edge by edge (record_connections.cypher). So the
hub here is record1 of some connections and record2 of others, with several roles, states and
effective windows, connection ids that interleave across the two streams, and pages small
enough that a filter must skip keys; every page, cursor and filter combination must equal the
same computation over the connection list.
"""

import random
from datetime import date
from typing import Any

from fastapi.testclient import TestClient

ROLES = [
    {"id": "employer", "name": "Employer", "reciprocal": "employee"},
    {"id": "employee", "name": "Employee", "reciprocal": "employer"},
    {"id": "friend", "name": "Friend", "reciprocal": "friend"},
]


def _setup(client: TestClient, rng: random.Random) -> list[dict[str, Any]]:
    for role in ROLES:
        body = {"id": role["id"], "name": role["name"]}
        assert client.post("/connection-roles", json=body).status_code == 201
    for role in ROLES:
        patch = {"reciprocal_role_id": role["reciprocal"]}
        assert client.patch(f"/connection-roles/{role['id']}", json=patch).status_code == 200
    records = [{"id": "hub", "type": "account", "name": "Hub"}] + [
        {"id": f"p{i:03d}", "type": "contact" if i % 5 else "lead", "name": f"P {i}"}
        for i in range(240)
    ]
    assert client.post("/batch/records", json=records).json()["failed"] == []
    conns = []
    for i in range(240):
        other = f"p{i:03d}"
        hub_first = rng.random() < 0.5
        hub_role = rng.choice(["employer", "friend"])
        other_role = {"employer": "employee", "friend": "friend"}[hub_role]
        start = end = None
        if rng.random() < 0.3:
            start = date(2020, 1, 1 + rng.randrange(28)).isoformat()
        if rng.random() < 0.3:
            end = date(2022, 1, 1 + rng.randrange(28)).isoformat()
        conns.append(
            {
                # ids interleave across the two streams, in an order unrelated to creation
                "id": f"k{rng.randrange(10**6):06d}-{i}",
                "record1_id": "hub" if hub_first else other,
                "record2_id": other if hub_first else "hub",
                "record1_role_id": hub_role if hub_first else other_role,
                "record2_role_id": other_role if hub_first else hub_role,
                "state": "inactive" if rng.random() < 0.2 else "active",
                "effective_start": start,
                "effective_end": end,
            }
        )
    assert client.post("/batch/connections", json=conns).json()["failed"] == []
    return conns


def _expected(conns: list[dict[str, Any]], params: dict[str, Any]) -> list[tuple[str, str]]:
    """(connection id, related record id) of the hub's connections matching the filters."""
    out = []
    for c in conns:
        hub_first = c["record1_id"] == "hub"
        other = c["record2_id"] if hub_first else c["record1_id"]
        related_role = c["record2_role_id"] if hub_first else c["record1_role_id"]
        if "role" in params and related_role != params["role"].lower():
            continue
        if "record_type" in params and (params["record_type"] == "lead") != (
            int(other[1:]) % 5 == 0
        ):
            continue
        if params.get("state", "active") != c["state"]:
            continue
        if "as_of" in params:
            day = params["as_of"]
            if (c["effective_start"] and c["effective_start"] > day) or (
                c["effective_end"] and c["effective_end"] < day
            ):
                continue
        out.append((c["id"], other))
    return sorted(out)


def test_hub_pages_match_python(client: TestClient) -> None:
    conns = _setup(client, random.Random(7))
    cases: list[dict[str, Any]] = [
        {},
        {"role": "employee"},
        {"role": "Friend"},
        {"state": "inactive"},
        {"record_type": "lead"},
        {"role": "employee", "as_of": "2021-06-01"},
        {"as_of": "2019-01-01"},
    ]
    for params in cases:
        want = _expected(conns, params)
        for limit in (1, 7, 100, 1000):
            got: list[tuple[str, str]] = []
            cursor = None
            for _ in range(300):
                query = params | {"limit": limit} | ({"cursor": cursor} if cursor else {})
                response = client.get("/records/hub/connections", params=query)
                assert response.status_code == 200, (query, response.text)
                page = response.json()
                assert len(page["items"]) <= limit
                got += [(i["connection_id"], i["record"]["id"]) for i in page["items"]]
                cursor = page["next_cursor"]
                if cursor is None:
                    break
            assert got == want, (params, limit)
    # both roles named on each item, seen from the hub
    item = client.get("/records/hub/connections", params={"role": "employee"}).json()["items"][0]
    assert item["role"] == {"id": "employee", "name": "Employee"}
    assert item["own_role"] == {"id": "employer", "name": "Employer"}
