"""Every test runs against a real Neo4j 5.26; there is no stand-in.

Where the Neo4j comes from, in this order:
1. `NEO4J_URI` (with `NEO4J_USER` / `NEO4J_PASSWORD`) if set, as `.ci/run` does;
2. testcontainers' `Neo4jContainer("neo4j:5.26-community")` if a Docker engine answers;
3. the local server of `graphsvc neo4j start`, as a separate test instance (free ports, under
   ~/.cache/graphsvc/test-instance) so the tests never wipe a developer's data; the session
   stops it at the end.
If none can be had the run fails (never skips) with the reason.
"""

import asyncio
import gc
import os
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from neo4j import Driver

from graphsvc import procedures
from graphsvc.api.app import create_app
from graphsvc.config import Settings
from graphsvc.graph.db import apply_schema_async, create_async_driver, create_driver
from graphsvc.maven import MavenError
from graphsvc.neo4j_local import LauncherError, LocalNeo4j

# Shared helpers live in tests/helpers.py; re-exported for tests that still import them from here.
from tests.helpers import TEST_PASSWORD as TEST_PASSWORD
from tests.helpers import free_port as free_port
from tests.helpers import local_test_settings as local_test_settings
from tests.helpers import query as query
from tests.helpers import run_check as run_check
from tests.helpers import wipe


def _docker_answers() -> bool:
    if not os.environ.get("DOCKER_HOST") and not Path("/var/run/docker.sock").exists():
        return False
    import docker

    with warnings.catch_warnings():  # docker-py leaks its socket when the engine is absent
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            client = docker.from_env()
            try:
                return bool(client.ping())
            finally:
                client.close()
        except Exception:
            return False
        finally:
            gc.collect()


@pytest.fixture(scope="session")
def settings() -> Iterator[Settings]:
    if os.environ.get("NEO4J_URI"):
        yield Settings()
        return
    if _docker_answers():
        from testcontainers.neo4j import Neo4jContainer

        try:  # graphsvc's procedures, built as `graphsvc neo4j start` builds them
            jar = procedures.build(Settings().neo4j_cache_dir)
        except MavenError as exc:
            pytest.fail(f"no Neo4j for the tests: {exc}", pytrace=False)
        image = (
            Neo4jContainer("neo4j:5.26-community", password=TEST_PASSWORD)
            .with_env("NEO4J_PLUGINS", '["apoc"]')  # APOC Core, as compose
            .with_env("NEO4J_server_bolt_connection__keep__alive__for__requests", "STREAMING")
            .with_volume_mapping(str(jar), f"/plugins/{procedures.JAR}", "ro")
        )
        with image as container:
            yield Settings(neo4j_uri=container.get_connection_url(), neo4j_password=TEST_PASSWORD)
        return
    settings = local_test_settings()
    server = LocalNeo4j(settings)
    server.stop()  # one left behind by an interrupted run would hold other ports
    try:
        server.start()
    except LauncherError as exc:
        pytest.fail(
            f"no Neo4j for the tests: NEO4J_URI is unset, no Docker engine answers, "
            f"and the local server would not start: {exc}",
            pytrace=False,
        )
    try:
        yield settings
    finally:
        server.stop()


@pytest.fixture(scope="session")
def driver(settings: Settings) -> Iterator[Driver]:
    driver = create_driver(settings)
    try:
        driver.verify_connectivity()
    except Exception as exc:
        pytest.fail(f"Neo4j at {settings.neo4j_uri} is unreachable: {exc}", pytrace=False)

    async def apply() -> None:
        async with create_async_driver(settings) as adriver:
            await apply_schema_async(adriver, settings.neo4j_database)

    asyncio.run(apply())
    yield driver
    driver.close()


@pytest.fixture(autouse=True)
def _clean_graph(request: pytest.FixtureRequest) -> None:
    """Wipe the data (not the schema) before each test that uses the database."""
    if "driver" not in request.fixturenames and "client" not in request.fixturenames:
        return
    wipe(request.getfixturevalue("driver"), request.getfixturevalue("settings").neo4j_database)


@pytest.fixture
def client(settings: Settings, driver: Driver) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


def pytest_report_header() -> str:
    from tests.graph.oracle import FRESH_SEED

    return f"traversal oracle: fresh seed {FRESH_SEED} (replay: GRAPHSVC_ORACLE_SEED={FRESH_SEED})"
