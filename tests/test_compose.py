"""docker-compose.yml cannot run here (no Docker engine), so its shape is checked instead."""

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
