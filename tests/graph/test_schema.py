"""The schema in cypher/schema/ is in Neo4j: every constraint and index, checked with SHOW."""

import asyncio

from neo4j import Driver

from graphsvc.config import Settings
from graphsvc.graph.db import apply_schema_async, create_async_driver
from tests.helpers import query

# What the README's data model needs Neo4j to enforce, written out here, not read from the code.
CONSTRAINTS = {
    ("record_id", "UNIQUENESS", ("Record",), ("id",)),
    ("connection_role_id", "UNIQUENESS", ("ConnectionRole",), ("id",)),
    ("connection_role_type", "UNIQUENESS", ("ConnectionRole",), ("relationship_type",)),
    ("connection_key_id", "UNIQUENESS", ("ConnectionKey",), ("id",)),
}
INDEXES = {
    ("record_name", "RANGE", ("Record",), ("name",)),
    ("connection_role_name", "RANGE", ("ConnectionRole",), ("name",)),
}


def apply(settings: Settings) -> None:
    async def run() -> None:
        async with create_async_driver(settings) as driver:
            await apply_schema_async(driver, settings.neo4j_database)

    asyncio.run(run())


def constraints(driver: Driver) -> set[tuple[object, ...]]:
    rows = query(driver, "SHOW CONSTRAINTS YIELD name, type, labelsOrTypes, properties RETURN *")
    return {(r["name"], r["type"], tuple(r["labelsOrTypes"]), tuple(r["properties"])) for r in rows}


def indexes(driver: Driver) -> dict[tuple[object, ...], str]:
    rows = query(driver, "SHOW INDEXES YIELD name, type, labelsOrTypes, properties, state RETURN *")
    return {
        (r["name"], r["type"], tuple(r["labelsOrTypes"] or ()), tuple(r["properties"] or ())): r[
            "state"
        ]
        for r in rows
    }


def test_every_constraint_and_index_exists_and_apply_is_idempotent(
    settings: Settings, driver: Driver
) -> None:
    assert constraints(driver) >= CONSTRAINTS
    found = indexes(driver)
    assert set(found) >= INDEXES
    assert all(found[i] == "ONLINE" for i in INDEXES), found

    before_c, before_i = constraints(driver), set(indexes(driver))
    apply(settings)
    apply(settings)
    assert constraints(driver) == before_c and set(indexes(driver)) == before_i


def test_apply_creates_what_is_missing(settings: Settings, driver: Driver) -> None:
    driver.execute_query("DROP INDEX record_name IF EXISTS")
    driver.execute_query("DROP CONSTRAINT connection_key_id IF EXISTS")
    assert ("record_name", "RANGE", ("Record",), ("name",)) not in indexes(driver)  # set-up
    assert not any(c[0] == "connection_key_id" for c in constraints(driver))
    apply(settings)
    driver.execute_query("CALL db.awaitIndexes(60)")
    assert constraints(driver) >= CONSTRAINTS
    found = indexes(driver)
    assert (
        set(found) >= INDEXES
        and found[next(iter(i for i in INDEXES if i[0] == "record_name"))] == "ONLINE"
    )


def test_record_id_is_unique(driver: Driver) -> None:
    driver.execute_query("CREATE (:Record {id: 'a'})")
    assert query(driver, "MATCH (r:Record {id: 'a'}) RETURN count(r) AS n") == [{"n": 1}]
    try:
        driver.execute_query("CREATE (:Record {id: 'a'})")
    except Exception as exc:
        assert "already exists" in str(exc)
    else:
        raise AssertionError("a second record with the same id was accepted")
    assert query(driver, "MATCH (r:Record {id: 'a'}) RETURN count(r) AS n") == [{"n": 1}]


def test_connection_key_and_role_type_are_unique(driver: Driver) -> None:
    for cypher in (
        "CREATE (:ConnectionKey {id: 'k'})",
        "CREATE (:ConnectionRole {id: 'r1', relationship_type: 'T'})",
    ):
        driver.execute_query(cypher)
    for cypher, what in (
        ("CREATE (:ConnectionKey {id: 'k'})", "ConnectionKey"),
        ("CREATE (:ConnectionRole {id: 'r2', relationship_type: 'T'})", "ConnectionRole"),
    ):
        try:
            driver.execute_query(cypher)
        except Exception as exc:
            assert "already exists" in str(exc)
        else:
            raise AssertionError(f"a second {what} with the same key was accepted")


def test_health_and_ready(client: object) -> None:
    from fastapi.testclient import TestClient

    assert isinstance(client, TestClient)
    assert client.get("/health").json() == {"status": "ok"}
    ready = client.get("/ready")
    assert ready.status_code == 200
    assert ready.json()["schema"] == "applied"


def test_an_import_waits_for_every_index_however_long(settings: Settings, driver: Driver) -> None:
    """`graphsvc neo4j import` builds every index of a freshly imported graph: with on_progress,
    apply waits until each is online (db.awaitIndexes' 60 s would fail a big graph's import at its
    very end, with the roles not yet written), telling the least built one's percentage."""
    driver.execute_query(
        "UNWIND range(1, 100000) AS i CREATE (:Record {id: 'ix' + i, type: 'contact', name: 'n' + i})"
    )
    driver.execute_query("DROP INDEX record_name IF EXISTS")
    driver.execute_query("DROP CONSTRAINT record_id IF EXISTS")
    seen: list[int] = []

    async def run() -> int:
        async with create_async_driver(settings) as adriver:
            return await apply_schema_async(adriver, settings.neo4j_database, seen.append)

    try:
        assert asyncio.run(run()) > 0
        assert all(0 <= p <= 100 for p in seen)
        found = indexes(driver)
        assert all(state == "ONLINE" for state in found.values()), found
        assert constraints(driver) >= CONSTRAINTS
    finally:
        driver.execute_query("MATCH (n:Record) WHERE n.id STARTS WITH 'ix' DETACH DELETE n")
