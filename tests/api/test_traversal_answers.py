"""Chains, shortest paths and networks are JSON the graph layer builds itself (graphsvc.graph.answers),
each repeated record and hop serialised once. These pin that JSON to the response models: the
same bytes the model gives, records exactly as GET /records/{id} reads them, roles on the hops.
The oracle tests (tests/graph/test_traversals.py) check which paths and nodes come back."""

from typing import Any

from fastapi.testclient import TestClient
from pydantic import BaseModel

from graphsvc.models import ChainsResponse, NetworkResponse, PathsResponse

ATTRIBUTES: dict[str, Any] = {
    "city": 'Zürich "HQ"\n2nd line \\ ✓',
    "score": 12.5,
    "visits": 7,
    "vip": True,
    "tags": ["a", "b, c"],
    "emoji": "😀",
}


def _setup(client: TestClient) -> None:
    for role in (
        {"id": "referral", "name": "Referral", "reciprocal_role_id": None, "acyclic": True},
        {"id": "referred-by", "name": "Referred by", "reciprocal_role_id": "referral"},
        {"id": "friend", "name": "Friend", "reciprocal_role_id": None},
    ):
        assert client.post("/connection-roles", json=role).status_code == 201, role
    # r0 referred r1 and r2, r1 referred r3; r3 and r2 are friends, r0 - r4 has no roles
    for i in range(5):
        attributes = ATTRIBUTES | {"rank": i} if i % 2 else {}
        record = {"id": f"r{i}", "type": "contact", "name": f"Ré {i}", "attributes": attributes}
        assert client.post("/records", json=record).status_code == 201
    for cid, a, b, role1, role2 in (
        ("k1", "r0", "r1", "referred-by", "referral"),
        ("k2", "r0", "r2", "referred-by", "referral"),
        ("k3", "r1", "r3", "referred-by", "referral"),
        ("k4", "r3", "r2", "friend", "friend"),
        ("k5", "r0", "r4", None, None),
    ):
        body: dict[str, str | None] = {
            "id": cid,
            "record1_id": a,
            "record2_id": b,
            "record1_role_id": role1,
            "record2_role_id": role2,
            "description": 'met at a "conference" ✓',
        }
        assert client.post("/connections", json=body).status_code == 201, cid


def _same_as_model(client: TestClient, path: str, model: type[BaseModel]) -> dict[str, Any]:
    answer = client.get(path)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/json"
    assert model.model_validate_json(answer.content).model_dump_json().encode() == answer.content
    head = client.head(path)
    assert head.status_code == 200 and head.headers["content-length"] == str(len(answer.content))
    body: dict[str, Any] = answer.json()
    return body


def _records_as_read(client: TestClient, records: list[dict[str, Any]]) -> None:
    for record in records:
        assert record == client.get(f"/records/{record['id']}").json()


def test_chains_are_the_model_json(client: TestClient) -> None:
    _setup(client)
    body = _same_as_model(client, "/records/r0/chains?role=Referral", ChainsResponse)
    assert [[r["id"] for r in c["records"]] for c in body["chains"]] == [
        ["r0", "r1"],
        ["r0", "r2"],
        ["r0", "r1", "r3"],
    ]
    assert body["truncated"] is False
    longest = body["chains"][2]
    assert longest["depth"] == 2 and longest["connections"] == ["k1", "k3"]
    assert longest["hops"][1] == {
        "connection_id": "k3",
        "from_id": "r1",
        "to_id": "r3",
        "relationship_type": "REFERRAL",
        "from_role": {"id": "referred-by", "name": "Referred by"},
        "to_role": {"id": "referral", "name": "Referral"},
    }
    _records_as_read(client, [r for c in body["chains"] for r in c["records"]])
    cut = _same_as_model(client, "/records/r0/chains?role=Referral&limit=2", ChainsResponse)
    assert cut["truncated"] is True and cut["chains"] == body["chains"][:2]
    none = _same_as_model(client, "/records/r3/chains?role=Referral", ChainsResponse)
    assert none == {"chains": [], "truncated": False}


def test_shortest_paths_are_the_model_json(client: TestClient) -> None:
    _setup(client)
    body = _same_as_model(client, "/paths/shortest?from=r1&to=r2&all=true", PathsResponse)
    assert [p["connections"] for p in body["paths"]] == [["k1", "k2"], ["k3", "k4"]]
    up, down = body["paths"][0]["hops"]
    assert (up["from_id"], up["to_id"], down["to_id"]) == ("r1", "r0", "r2")
    assert up["from_role"] == {"id": "referral", "name": "Referral"}
    assert up["relationship_type"] == "REFERRED_BY"
    assert body["paths"][1]["hops"][1]["from_role"] == {"id": "friend", "name": "Friend"}
    _records_as_read(client, [r for p in body["paths"] for r in p["records"]])
    one = _same_as_model(client, "/paths/shortest?from=r1&to=r2", PathsResponse)
    assert len(one["paths"]) == 1 and one["paths"][0] in body["paths"] and not one["truncated"]
    no_roles = _same_as_model(client, "/paths/shortest?from=r4&to=r0", PathsResponse)
    hop = no_roles["paths"][0]["hops"][0]
    assert hop["from_role"] is None and hop["to_role"] is None and hop["connection_id"] == "k5"
    assert client.get("/paths/shortest?from=r4&to=r3&roles=Friend").status_code == 404


def test_networks_are_the_model_json(client: TestClient) -> None:
    _setup(client)
    body = _same_as_model(client, "/records/r0/network?depth=2", NetworkResponse)
    assert body["nodes"][0]["id"] == "r0"
    assert sorted(n["id"] for n in body["nodes"]) == ["r0", "r1", "r2", "r3", "r4"]
    assert sorted(e["connection_id"] for e in body["edges"]) == ["k1", "k2", "k3", "k4", "k5"]
    _records_as_read(client, body["nodes"])
    cut = _same_as_model(client, "/records/r0/network?depth=2&limit=2", NetworkResponse)
    assert cut["truncated"] is True and len(cut["nodes"]) == 2
