"""What many tests share: free ports, a local test instance's settings, Cypher reads of the
test database, `graphsvc check`, and the `graphsvc` command run in-process (typer's CliRunner)
for the tests that do not need a real process. Fixtures stay in conftest.py."""

import asyncio
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from neo4j import Driver
from typer.testing import CliRunner

from graphsvc.cli import app
from graphsvc.config import CACHE_HOME, REPO_ROOT, Settings, get_settings
from graphsvc.graph.check import Report, audit, repair
from graphsvc.graph.db import create_async_driver

TEST_PASSWORD = "graphsvc-test"
DATA = REPO_ROOT / "tests" / "data"  # small files in every loader format


def free_port() -> int:
    """A port nothing listens on now (the OS picks it), so tests never collide with other work."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def local_test_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "neo4j_home": CACHE_HOME / "test-instance",
        "neo4j_bolt_port": free_port(),
        "neo4j_http_port": free_port(),
        "neo4j_password": TEST_PASSWORD,
        "neo4j_uri": "",
        "neo4j_heap": "1g",
        "neo4j_pagecache": "512m",
    }
    return Settings(**(values | overrides))


def query(driver: Driver, cypher: str, **params: Any) -> list[dict[str, Any]]:
    """Run a read in the test database and return plain dicts (for asserting Neo4j's state)."""
    records, _, _ = driver.execute_query(cypher, params)
    return [r.data() for r in records]


def wipe(driver: Driver, database: str | None = None) -> None:
    """Delete every node and relationship (the schema stays)."""
    with driver.session(database=database) as session:
        session.run(
            "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"
        ).consume()


def run_check(settings: Settings, fix: bool = False) -> Report:
    """`graphsvc check` (and `--repair` with `fix`) on the given Neo4j."""

    async def go() -> Report:
        async with create_async_driver(settings) as driver:
            report = await audit(driver, settings.neo4j_database)
            return await repair(driver, settings.neo4j_database, report) if fix else report

    return asyncio.run(go())


def cli_env(settings: Settings) -> dict[str, str]:
    """The environment that points the `graphsvc` command at the given Neo4j."""
    return {
        **os.environ,
        "NEO4J_URI": settings.neo4j_uri,
        "NEO4J_USER": settings.neo4j_user,
        "NEO4J_PASSWORD": settings.neo4j_password.get_secret_value(),
        "NEO4J_DATABASE": settings.neo4j_database,
    }


@dataclass
class Ran:
    """What a `graphsvc` command did, shaped as subprocess.CompletedProcess."""

    returncode: int
    stdout: str
    stderr: str


def run_cli(env: Mapping[str, str], *args: str | Path, cwd: Path | None = None) -> Ran:
    """`graphsvc ARGS` in this process with `env` as its environment (and `cwd` as its working
    directory: where it would find a .env). An exception the command does not turn into a
    message and an exit code is raised here, as the traceback a user would see."""
    get_settings.cache_clear()  # the command reads its settings from `env`
    before = Path.cwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        result = CliRunner().invoke(app, [str(a) for a in args], env=dict(env))
    finally:
        os.chdir(before)
        get_settings.cache_clear()
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Ran(result.exit_code, result.stdout, result.stderr)
