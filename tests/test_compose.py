"""docker-compose.yml cannot run here (no Docker engine), so its shape is checked instead."""

import re
import tomllib
from pathlib import Path
from typing import Any

import yaml

from graphsvc.config import REPO_ROOT


def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
    return data


def test_neo4j_service_is_the_pinned_official_community_image() -> None:
    neo4j = compose()["services"]["neo4j"]
    assert neo4j["image"] == "neo4j:5.26-community"
    assert "127.0.0.1:7687:7687" in neo4j["ports"] and "127.0.0.1:7474:7474" in neo4j["ports"]
    assert neo4j["environment"]["NEO4J_AUTH"].startswith("neo4j/${NEO4J_PASSWORD")
    assert any(v.endswith(":/data") for v in neo4j["volumes"])
    assert "neo4j-data" in compose()["volumes"]
    check = neo4j["healthcheck"]
    assert "7474" in " ".join(check["test"]) and check["retries"] >= 10


def test_api_waits_for_a_healthy_neo4j_and_gets_its_settings() -> None:
    api = compose()["services"]["api"]
    assert api["depends_on"]["neo4j"]["condition"] == "service_healthy"
    env = api["environment"]
    assert env["NEO4J_URI"] == "bolt://neo4j:7687"
    assert env["NEO4J_PASSWORD"] == compose()["services"]["neo4j"]["environment"][
        "NEO4J_AUTH"
    ].removeprefix("neo4j/")
    assert "8000:8000" in api["ports"][0]
    dockerfile = (REPO_ROOT / "Dockerfile").read_text()
    assert "graphsvc" in dockerfile and "COPY cypher" in dockerfile
    assert Path(REPO_ROOT / "cypher" / "schema").is_dir()


def _pins(lock: str) -> dict[str, str]:
    text = (REPO_ROOT / lock).read_text()
    return {
        name.lower().replace("_", "-"): version
        for name, version in re.findall(r"^([A-Za-z0-9._-]+)==(\S+)", text, re.M)
    }


def test_the_image_installs_the_runtime_lock_at_the_tested_versions() -> None:
    dockerfile = (REPO_ROOT / "Dockerfile").read_text()
    assert "pip install --no-cache-dir --require-hashes -r requirements-runtime.lock" in dockerfile
    # then graphsvc alone, nothing resolved
    assert "pip install --no-cache-dir --no-deps ." in dockerfile
    runtime, full = _pins("requirements-runtime.lock"), _pins("requirements.lock")
    # every pin is the version the suite ran with (`make lock` constrains one by the other) ...
    assert {name: full.get(name) for name in runtime} == runtime
    # ... every runtime dependency is there, and none of the test or bench tools
    declared = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    for requirement in declared["dependencies"]:
        assert re.split(r"[\[<>=;, ]", requirement)[0].lower() in runtime, requirement
    # (pyyaml, httpx... are runtime dependencies of dependencies: only the tools are checked)
    for tool in (
        "pytest",
        "ruff",
        "mypy",
        "playwright",
        "schemathesis",
        "testcontainers",
        "psycopg",
    ):
        assert tool not in runtime, f"{tool} (a test or bench tool) is in the image's lock"


def test_neo4j_gets_the_procedures_built_from_the_repository() -> None:
    """The `procedures` service builds procedures/ into the plugins volume Neo4j mounts, and
    Neo4j starts only once that build succeeded."""
    services = compose()["services"]
    build = services["procedures"]
    assert build["image"].startswith("maven:") and "17" in build["image"]
    assert "./procedures:/src:ro" in build["volumes"]
    assert "mvn -q -B package" in build["command"][-1]
    assert "graphsvc-procedures.jar /plugins/" in build["command"][-1]
    neo4j = services["neo4j"]
    assert (
        "neo4j-plugins:/plugins" in build["volumes"]
        and "neo4j-plugins:/plugins" in neo4j["volumes"]
    )
    assert neo4j["depends_on"]["procedures"]["condition"] == "service_completed_successfully"
    assert "neo4j-plugins" in compose()["volumes"]
