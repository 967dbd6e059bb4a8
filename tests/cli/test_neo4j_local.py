"""The local Neo4j launcher, on an instance of its own (free ports, a temporary home)."""

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from neo4j import GraphDatabase

from graphsvc.api.app import create_app
from graphsvc.config import Settings
from graphsvc.neo4j_local import LauncherError, LocalNeo4j
from tests.helpers import TEST_PASSWORD, free_port, local_test_settings

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def own_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    home = tmp_path_factory.mktemp("launcher")
    return local_test_settings(
        neo4j_home=home, neo4j_bolt_port=free_port(), neo4j_http_port=free_port()
    )


@pytest.fixture(scope="module")
def server(own_settings: Settings) -> Iterator[LocalNeo4j]:
    server = LocalNeo4j(own_settings)
    yield server
    server.stop()


def cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        "GRAPHSVC_NEO4J_HOME": str(settings.neo4j_home),
        "GRAPHSVC_NEO4J_BOLT_PORT": str(settings.neo4j_bolt_port),
        "GRAPHSVC_NEO4J_HTTP_PORT": str(settings.neo4j_http_port),
        "NEO4J_PASSWORD": TEST_PASSWORD,
        "GRAPHSVC_NEO4J_HEAP": "512m",
        "GRAPHSVC_NEO4J_PAGECACHE": "256m",
        "PATH": "/usr/bin:/bin:/usr/local/bin",
    }
    return subprocess.run(
        [sys.executable, "-m", "graphsvc", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def count_nodes(settings: Settings) -> int:
    auth = (settings.neo4j_user, settings.neo4j_password.get_secret_value())
    with GraphDatabase.driver(settings.neo4j_uri, auth=auth) as driver:
        records, _, _ = driver.execute_query("MATCH (n:Marker) RETURN count(n) AS n")
        return int(records[0]["n"])


def test_start_status_second_start_stop_and_persistence(
    server: LocalNeo4j, own_settings: Settings
) -> None:
    started = cli(own_settings, "neo4j", "start")
    assert started.returncode == 0, started.stderr
    assert "started" in started.stdout

    status = cli(own_settings, "neo4j", "status")
    assert status.returncode == 0
    assert "running" in status.stdout and "5.26." in status.stdout
    assert f"bolt://127.0.0.1:{own_settings.neo4j_bolt_port}" in status.stdout
    assert str(own_settings.neo4j_data_dir) in status.stdout
    assert server.pid() is not None

    again = cli(own_settings, "neo4j", "start")
    assert again.returncode == 0
    assert "already running" in again.stdout

    auth = (own_settings.neo4j_user, own_settings.neo4j_password.get_secret_value())
    with GraphDatabase.driver(own_settings.neo4j_uri, auth=auth) as driver:
        driver.execute_query("CREATE (:Marker {at: $t})", t=time.time())

    stopped = cli(own_settings, "neo4j", "stop")
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    assert server.pid() is None
    assert cli(own_settings, "neo4j", "status").returncode == 3

    assert cli(own_settings, "neo4j", "start").returncode == 0
    assert count_nodes(own_settings) == 1  # the data survived stop/start


def test_browser_is_served(server: LocalNeo4j, own_settings: Settings) -> None:
    server.start()
    import httpx

    page = httpx.get(f"http://127.0.0.1:{own_settings.neo4j_http_port}/browser/")
    assert page.status_code == 200
    assert "Neo4j Browser" in page.text


def test_port_taken_by_another_process_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        settings = local_test_settings(
            neo4j_home=tmp_path, neo4j_bolt_port=port, neo4j_http_port=free_port()
        )
        result = cli(settings, "neo4j", "start")
        with pytest.raises(LauncherError, match="in use"):
            LocalNeo4j(settings).start()
    assert result.returncode == 1
    assert f"port {port}" in result.stderr and "in use" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_java_is_a_clear_error(own_settings: Settings, tmp_path: Path) -> None:
    settings = local_test_settings(
        neo4j_home=tmp_path, neo4j_bolt_port=free_port(), neo4j_http_port=free_port()
    )
    env_path = tmp_path / "bin"
    env_path.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "graphsvc", "neo4j", "start"],
        env={"PATH": str(env_path), "GRAPHSVC_NEO4J_HOME": str(settings.neo4j_home)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "Java 17 is required" in result.stderr


def test_ready_is_503_while_neo4j_is_down_and_recovers_without_restart(
    server: LocalNeo4j, own_settings: Settings
) -> None:
    server.start()
    with TestClient(create_app(own_settings)) as client:
        assert client.get("/ready").status_code == 200
        server.stop()
        down = client.get("/ready")
        assert down.status_code == 503
        assert down.headers["Retry-After"]
        assert TEST_PASSWORD not in down.text
        assert client.get("/health").status_code == 200
        server.start()
        assert client.get("/ready").status_code == 200


def test_missing_maven_for_the_procedures_is_a_clear_error(
    own_settings: Settings, tmp_path: Path
) -> None:
    """Neo4j and APOC already resolved (their cached folders), the procedures not yet built:
    without Maven, start stops with one line naming it, before the server starts."""
    cache = tmp_path / "cache"
    cache.mkdir()
    for done in own_settings.neo4j_cache_dir.iterdir():
        if done.name.startswith(("neo4j-", "apoc-")):
            (cache / done.name).symlink_to(done)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    java = shutil.which("java")
    assert java
    (bin_dir / "java").symlink_to(Path(java).resolve())
    home = tmp_path / "home"
    result = subprocess.run(
        [sys.executable, "-m", "graphsvc", "neo4j", "start"],
        env={
            "PATH": str(bin_dir),
            "GRAPHSVC_NEO4J_HOME": str(home),
            "GRAPHSVC_NEO4J_CACHE_DIR": str(cache),
            "GRAPHSVC_NEO4J_BOLT_PORT": str(free_port()),
            "GRAPHSVC_NEO4J_HTTP_PORT": str(free_port()),
            "NEO4J_PASSWORD": TEST_PASSWORD,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    assert "Maven (`mvn`) is required to build graphsvc's Neo4j procedures" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (home / "run" / "neo4j.pid").exists()
