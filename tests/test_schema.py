"""The schema in cypher/schema/ applies idempotently."""

import asyncio

from neo4j import Driver

from graphsvc import cypher
from graphsvc.config import Settings
from graphsvc.graph.db import apply_schema_async, create_async_driver
from tests.conftest import query


def apply(settings: Settings) -> int:
    async def run() -> int:
        driver = create_async_driver(settings)
        try:
            return await apply_schema_async(driver, settings.neo4j_database)
        finally:
            await driver.close()

    return asyncio.run(run())


def test_schema_apply_is_idempotent(settings: Settings, driver: Driver) -> None:
    before = query(driver, "SHOW CONSTRAINTS YIELD name RETURN collect(name) AS names")[0]["names"]
    assert apply(settings) == len(cypher.schema_statements())
    assert apply(settings) == len(cypher.schema_statements())
    after = query(driver, "SHOW CONSTRAINTS YIELD name RETURN collect(name) AS names")[0]["names"]
    assert sorted(before) == sorted(after)
    assert {"record_id", "connection_role_id", "connection_key_id"} <= set(after)


def test_record_id_is_unique(driver: Driver) -> None:
    driver.execute_query("CREATE (:Record {id: 'a'})")
    try:
        driver.execute_query("CREATE (:Record {id: 'a'})")
    except Exception as exc:
        assert "already exists" in str(exc)
    else:
        raise AssertionError("a second record with the same id was accepted")


def test_health_and_ready(client: object) -> None:
    from fastapi.testclient import TestClient

    assert isinstance(client, TestClient)
    assert client.get("/health").json() == {"status": "ok"}
    ready = client.get("/ready")
    assert ready.status_code == 200
    assert ready.json()["schema"] == "applied"
