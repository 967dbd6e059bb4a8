"""`graphsvc neo4j import`: neo4j-admin import of the generated dataset, on an instance of its own
(free ports, a temporary home), compared with what the online path writes."""

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from neo4j import GraphDatabase

from bench.generate import generate, write
from graphsvc.api.app import create_app
from graphsvc.config import Settings
from graphsvc.graph.check import audit
from graphsvc.graph.db import create_async_driver
from graphsvc.neo4j_local import LocalNeo4j
from graphsvc.offline_import import ImportSummary, OfflineImportError, run_import
from tests.conftest import free_port, local_test_settings

pytestmark = pytest.mark.slow
BAD_CONNECTIONS = [
    "bad-missing,c9999999,c0000001,referred-by,referral,active,,,",
    "bad-role,c0000001,c0000002,referred-by,no-such-role,active,,,",
]


@pytest.fixture(scope="module")
def own_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    home = tmp_path_factory.mktemp("offline-import")
    return local_test_settings(
        neo4j_home=home, neo4j_bolt_port=free_port(), neo4j_http_port=free_port(), neo4j_heap="512m"
    )


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("offline-import-data")
    manifest = write(generate(2000, seed=1), out, ("csv",))
    with (out / "connections.csv").open("a") as f:
        f.write("\n".join(BAD_CONNECTIONS) + "\n")
    return out, manifest


@pytest.fixture(scope="module")
def imported(own_settings: Settings, data: tuple[Path, dict[str, Any]]) -> Iterator[ImportSummary]:
    out, _ = data
    summary = run_import(
        own_settings, out / "roles.jsonl", out / "records.csv", out / "connections.csv"
    )
    yield summary
    LocalNeo4j(own_settings).stop()


def query(settings: Settings, cypher: str, **params: Any) -> list[dict[str, Any]]:
    auth = (settings.neo4j_user, settings.neo4j_password.get_secret_value())
    with GraphDatabase.driver(settings.neo4j_uri, auth=auth) as driver:
        records, _, _ = driver.execute_query(cypher, params)  # type: ignore[call-overload]
        return [r.data() for r in records]


def test_counts_rejects_and_audit(
    imported: ImportSummary, own_settings: Settings, data: tuple[Path, dict[str, Any]]
) -> None:
    out, manifest = data
    assert (imported.roles, imported.records) == (6, 2000)
    assert imported.connections == manifest["connections"]
    assert imported.rejected == {"connections": 2}
    rejects = (out / "connections.rejects.csv").read_text()
    assert "record 'c9999999' not found (record1_id)" in rejects
    assert "connection role 'no-such-role' not found (record2_role_id)" in rejects

    counts = query(
        own_settings,
        "MATCH (n) WITH labels(n) AS labels, count(*) AS n RETURN labels, n ORDER BY n",
    )
    by_label = {tuple(sorted(c["labels"])): c["n"] for c in counts}
    assert by_label[("ConnectionKey",)] == manifest["connections"]
    assert by_label[("ConnectionRole",)] == 6
    assert by_label[("Contact", "Record")] == manifest["contacts"]
    assert by_label[("Account", "Record")] == manifest["accounts"]
    edges = query(own_settings, "MATCH ()-[e]->() RETURN count(e) AS n")[0]["n"]
    assert edges == manifest["edges"]

    async def run() -> int:
        driver = create_async_driver(own_settings)
        try:
            return len((await audit(driver, own_settings.neo4j_database)).problems)
        finally:
            await driver.close()

    assert asyncio.run(run()) == 0


def shape(props: dict[str, Any]) -> dict[str, str]:
    """Property names and value types: what the two paths must agree on."""
    return {k: type(v).__name__ for k, v in props.items()}


def test_same_graph_as_the_online_path(imported: ImportSummary, own_settings: Settings) -> None:
    with TestClient(create_app(own_settings)) as client:
        got = client.get("/connections/ref-0000001")
        assert got.status_code == 200, got.text
        assert got.json()["record1"]["role"]["id"] == "referred-by"
        related = client.get("/records/c0000001/connections")
        assert related.status_code == 200
        assert "ref-0000001" in {item["connection_id"] for item in related.json()["items"]}
        roles = {r["id"]: r for r in client.get("/connection-roles").json()}
        assert roles["referral"]["reciprocal_role_id"] == "referred-by"
        assert roles["referred-by"]["reciprocal_role_id"] == "referral"

        # The same rows written online, under new ids, must give nodes and edges of one shape.
        imported_record = query(
            own_settings, "MATCH (r:Record {id: 'c0000001'}) RETURN properties(r) AS p"
        )[0]["p"]
        body = {k: imported_record[k] for k in ("type", "name")}
        body["attributes"] = {"city": imported_record["city"]}
        assert client.put("/records/online-1", json=body).status_code in (200, 201)
        online_record = query(
            own_settings, "MATCH (r:Record {id: 'online-1'}) RETURN properties(r) AS p"
        )[0]["p"]
        assert shape(online_record) == shape(imported_record)

        row = {
            "id": "online-ref",
            "record1_id": "online-1",
            "record2_id": "c0000001",
            "record1_role_id": "friend",
            "record2_role_id": "friend",
            "description": "x",
            "effective_start": "2020-01-01",
            "effective_end": "2021-01-01",
        }
        batch = client.post("/batch/connections", json=[row])
        assert batch.status_code == 200 and batch.json()["created"] == 1, batch.text
    pairs = query(
        own_settings,
        "MATCH ()-[e]->() WHERE e.connection_id IN ['online-ref', $imported] "
        "RETURN e.connection_id AS id, type(e) AS type, properties(e) AS p",
        imported=_imported_friendship(own_settings),
    )
    online = [shape(p["p"]) for p in pairs if p["id"] == "online-ref"]
    offline = [p for p in pairs if p["id"] != "online-ref"]
    assert len(online) == 2 and len(offline) == 2
    assert {p["type"] for p in offline} == {"FRIEND"}
    assert {p["p"]["side"] for p in offline} == {1, 2}
    for edge in offline:
        assert shape(edge["p"]) == online[0]


def _imported_friendship(settings: Settings) -> str:
    """An imported friendship with both dates, so every property is compared."""
    rows = query(
        settings,
        "MATCH ()-[e:FRIEND]->() WHERE e.effective_start IS NOT NULL "
        "AND e.effective_end IS NOT NULL "
        "RETURN e.connection_id AS id LIMIT 1",
    )
    return str(rows[0]["id"])


def test_refuses_a_running_server_or_an_existing_database(
    imported: ImportSummary, own_settings: Settings, data: tuple[Path, dict[str, Any]]
) -> None:
    out, _ = data
    files = (out / "roles.jsonl", out / "records.csv", out / "connections.csv")
    with pytest.raises(OfflineImportError, match="is running"):
        run_import(own_settings, *files)
    LocalNeo4j(own_settings).stop()
    with pytest.raises(OfflineImportError, match="already exists"):
        run_import(own_settings, *files)


def test_repeated_ids_are_errors(
    imported: ImportSummary, own_settings: Settings, tmp_path: Path
) -> None:
    LocalNeo4j(own_settings).stop()
    (tmp_path / "roles.jsonl").write_text("")
    (tmp_path / "records.csv").write_text(
        "id,type,name\na1,account,A\nc1,contact,C\na1,account,A again\n"
    )
    (tmp_path / "connections.csv").write_text("id,record1_id,record2_id\nk1,a1,c1\n")
    files = (tmp_path / "roles.jsonl", tmp_path / "records.csv", tmp_path / "connections.csv")
    with pytest.raises(OfflineImportError, match=r"1 repeated record id\(s\).*a1 \(row 3\)"):
        run_import(own_settings, *files, overwrite=True)
    (tmp_path / "records.csv").write_text("id,type,name\na1,account,A\nc1,contact,C\n")
    (tmp_path / "connections.csv").write_text("id,record1_id,record2_id\nk1,a1,c1\nk1,c1,a1\n")
    with pytest.raises(OfflineImportError, match=r"repeated connection id.*k1 \(row 2\)"):
        run_import(own_settings, *files, overwrite=True)
