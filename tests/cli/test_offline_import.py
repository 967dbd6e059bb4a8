"""`graphsvc neo4j import`: neo4j-admin import on instances of its own (free ports, temporary
homes), compared value by value with what the online loader writes from the same files.

Order-free: the module's import (`imported`) is only read; every test that stops, refuses or
overwrites a database has a home of its own (`scratch`)."""

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from neo4j import Driver, GraphDatabase

from bench.generate import generate, write
from graphsvc.config import Settings
from graphsvc.graph.check import audit
from graphsvc.graph.db import create_async_driver
from graphsvc.neo4j_local import LocalNeo4j
from graphsvc.offline_import import ImportSummary, OfflineImportError, run_import
from tests.helpers import DATA, free_port, local_test_settings
from tests.helpers import query as main_query

pytestmark = pytest.mark.slow
# Rows the online loader rejects, each for its own rule (appended to the generated connections).
# ref-0000001 is c0000000 -> c0000001 as Referral (the generator's first referral).
BAD_CONNECTIONS = {
    "bad-missing": ("c9999999,c0000001,referred-by,referral", "record 'c9999999' not found"),
    "bad-role": ("c0000001,c0000002,referred-by,no-such-role", "'no-such-role' not found"),
    "bad-type": ("c0000001,a0000001,friend,friend", "applies to contact records"),
    "bad-duplicate": ("c0000000,c0000001,referred-by,referral", "'ref-0000001'"),
    "bad-loop": ("c0000001,c0000000,referred-by,referral", "would close a loop"),
}


def new_settings(tmp_path_factory: pytest.TempPathFactory, name: str) -> Settings:
    return local_test_settings(
        neo4j_home=tmp_path_factory.mktemp(name),
        neo4j_bolt_port=free_port(),
        neo4j_http_port=free_port(),
        neo4j_heap="512m",
    )


@pytest.fixture(scope="module")
def own_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return new_settings(tmp_path_factory, "offline-import")


@pytest.fixture
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """A home of its own for a test that stops, refuses or overwrites a database."""
    settings = new_settings(tmp_path_factory, "offline-scratch")
    yield settings
    LocalNeo4j(settings).stop()


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("offline-import-data")
    manifest = write(generate(2000, seed=1), out, ("csv",))
    with (out / "connections.csv").open("a") as f:
        for cid, (row, _) in BAD_CONNECTIONS.items():
            f.write(f"{cid},{row},active,,,\n")
    return out, manifest


PHASES: list[tuple[str, int, int | None]] = []  # what the import showed, in order


@pytest.fixture(scope="module")
def imported(own_settings: Settings, data: tuple[Path, dict[str, Any]]) -> Iterator[ImportSummary]:
    out, _ = data
    PHASES.clear()  # a shuffled run sets this fixture up again for its module's later tests
    summary = run_import(
        own_settings,
        out / "roles.jsonl",
        out / "records.csv",
        out / "connections.csv",
        skip_rejected=True,
        progress=lambda phase, done, total: PHASES.append((phase, done, total)),
    )
    yield summary
    LocalNeo4j(own_settings).stop()


def query(settings: Settings, cypher: str, **params: Any) -> list[dict[str, Any]]:
    auth = (settings.neo4j_user, settings.neo4j_password.get_secret_value())
    with GraphDatabase.driver(settings.neo4j_uri, auth=auth) as driver:
        records, _, _ = driver.execute_query(cypher, params)
        return [r.data() for r in records]


def snapshot(run: Any) -> dict[str, Any]:
    """Every node and edge with every property value (timestamps only by type: they are the
    moment of writing), in a stable order. `run(cypher)` returns rows as dicts."""
    nodes = run(
        "MATCH (n) RETURN labels(n) AS labels, properties(n) AS p ORDER BY n.id, labels(n)[0]"
    )
    edges = run(
        "MATCH (a)-[e]->(b) RETURN a.id AS a, type(e) AS t, b.id AS b, properties(e) AS p "
        "ORDER BY e.connection_id, e.side"
    )

    def plain(props: dict[str, Any]) -> dict[str, Any]:
        out = {}
        for k, v in props.items():
            if k in ("created_at", "updated_at"):
                out[k] = type(v).__name__  # a DateTime on both paths
            else:
                out[k] = v.iso_format() if hasattr(v, "iso_format") else v
        return out

    return {
        "nodes": [(sorted(n["labels"]), plain(n["p"])) for n in nodes],
        "edges": [(e["a"], e["t"], e["b"], plain(e["p"])) for e in edges],
    }


def cli(settings: Settings, *args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "NEO4J_URI": settings.neo4j_uri,
        "NEO4J_USER": settings.neo4j_user,
        "NEO4J_PASSWORD": settings.neo4j_password.get_secret_value(),
        "NEO4J_DATABASE": settings.neo4j_database,
    }
    return subprocess.run(
        [sys.executable, "-m", "graphsvc", *map(str, args)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def load_online(
    settings: Settings, roles: Path, records: Path, connections: Path, out: Path
) -> None:
    """The same files through `graphsvc load` (rejects kept apart from the import's)."""
    for kind, path in (("roles", roles), ("records", records), ("connections", connections)):
        result = cli(settings, "load", kind, path, "--rejects", out / f"online-{kind}{path.suffix}")
        assert result.returncode in (0, 1), result.stdout + result.stderr
        assert "Traceback" not in result.stderr


def rejects_by_id(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    if path.suffix == ".csv":
        import csv

        with path.open(newline="") as f:
            return {r["id"]: r["_error"] for r in csv.DictReader(f)}
    if path.suffix == ".json":
        return {
            str(r.get("connectionid") or r.get("contactid")): r["_error"]
            for r in json.loads(path.read_text())["value"]
        }
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return {str(r.get("id")): r["_error"] for r in rows}


def test_every_phase_is_shown_in_order(imported: ImportSummary) -> None:
    """Progress names each phase as it starts; the index builds (a quarter of a 1M import) show
    how built the least built index is, in percent."""
    changes = [p for i, (p, _, _) in enumerate(PHASES) if i == 0 or PHASES[i - 1][0] != p]
    assert changes == [
        "roles", "records", "connections", "neo4j-admin", "start", "indexes", "roles", "done"
    ]  # fmt: skip
    assert all(0 <= done <= 100 for phase, done, total in PHASES if phase == "indexes")


def test_counts_rejects_and_audit(
    imported: ImportSummary, own_settings: Settings, data: tuple[Path, dict[str, Any]]
) -> None:
    out, manifest = data
    assert (imported.roles, imported.records) == (6, 2000)
    assert imported.connections == manifest["connections"]
    assert imported.rejected == {"connections": len(BAD_CONNECTIONS)}
    rejects = rejects_by_id(out / "connections.rejects.csv")
    assert set(rejects) == set(BAD_CONNECTIONS)
    for cid, (_, reason) in BAD_CONNECTIONS.items():
        assert reason in rejects[cid], (cid, rejects[cid])

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
        async with create_async_driver(own_settings) as driver:
            return len((await audit(driver, own_settings.neo4j_database)).problems)

    import asyncio

    assert asyncio.run(run()) == 0


def test_same_graph_as_the_online_path(
    imported: ImportSummary,
    own_settings: Settings,
    data: tuple[Path, dict[str, Any]],
    settings: Settings,
    driver: Driver,
    tmp_path: Path,
) -> None:
    """The same files through `graphsvc load` into the test Neo4j: every node, every edge and
    every property value is the same, and so are the rejected rows and their reasons."""
    out, manifest = data
    assert main_query(driver, "MATCH (n) RETURN count(n) AS n") == [{"n": 0}]  # set-up
    load_online(
        settings, out / "roles.jsonl", out / "records.csv", out / "connections.csv", tmp_path
    )
    online = snapshot(lambda c: main_query(driver, c))
    offline = snapshot(lambda c: query(own_settings, c))
    assert len(online["edges"]) == manifest["edges"]  # set-up: the online load wrote it all
    assert online["nodes"] == offline["nodes"]
    assert online["edges"] == offline["edges"]
    assert rejects_by_id(tmp_path / "online-connections.csv") == rejects_by_id(
        out / "connections.rejects.csv"
    )


def test_refuses_a_running_server_or_an_existing_database_then_overwrites(
    scratch: Settings, settings: Settings, driver: Driver, tmp_path: Path
) -> None:
    """JSON Lines in; then, stopped, --overwrite replaces it with a Dataverse export."""
    files = (DATA / "roles.jsonl", DATA / "records.jsonl", DATA / "connections.jsonl")
    first = run_import(scratch, *files, skip_rejected=True)
    assert (first.roles, first.records, first.connections) == (5, 4, 3)
    assert first.rejected == {"records": 1, "connections": 2}
    with pytest.raises(OfflineImportError, match="is running"):
        run_import(scratch, *files, skip_rejected=True)
    LocalNeo4j(scratch).stop()
    with pytest.raises(OfflineImportError, match="already exists"):
        run_import(scratch, *files, skip_rejected=True)
    # The JSON Lines import is the graph the online loader makes of the same files.
    load_online(settings, *files, tmp_path)
    LocalNeo4j(scratch).start()
    assert snapshot(lambda c: query(scratch, c)) == snapshot(lambda c: main_query(driver, c))
    LocalNeo4j(scratch).stop()

    dataverse = (
        DATA / "dataverse_connectionroles.json",
        DATA / "dataverse_contacts.json",
        DATA / "dataverse_connections.json",
    )
    second = run_import(scratch, *dataverse, overwrite=True, skip_rejected=True)
    assert second.records == 3 and second.connections > 0
    assert not query(scratch, "MATCH (n:Record) WHERE n.id IN ['john', 'jane'] RETURN n")  # gone
    driver.execute_query("MATCH (n) DETACH DELETE n")
    load_online(settings, *dataverse, tmp_path)
    online = snapshot(lambda c: main_query(driver, c))
    assert len(online["edges"]) == 2 * second.connections
    assert snapshot(lambda c: query(scratch, c)) == online
    offline_rejects = rejects_by_id(DATA / "dataverse_connections.rejects.json")
    assert offline_rejects  # set-up: the export has a connection to a record it lacks
    assert offline_rejects == rejects_by_id(tmp_path / "online-connections.json")


def test_repeated_ids_are_errors(scratch: Settings, tmp_path: Path) -> None:
    (tmp_path / "roles.jsonl").write_text("")
    (tmp_path / "records.csv").write_text(
        "id,type,name\na1,account,A\nc1,contact,C\na1,account,A again\n"
    )
    (tmp_path / "connections.csv").write_text("id,record1_id,record2_id\nk1,a1,c1\n")
    files = (tmp_path / "roles.jsonl", tmp_path / "records.csv", tmp_path / "connections.csv")
    with pytest.raises(
        OfflineImportError, match=r"1 repeated record id\(s\).*a1 \(records.csv line 4\)"
    ):
        run_import(scratch, *files)
    (tmp_path / "records.csv").write_text("id,type,name\na1,account,A\nc1,contact,C\n")
    (tmp_path / "connections.csv").write_text("id,record1_id,record2_id\nk1,a1,c1\nk1,c1,a1\n")
    with pytest.raises(
        OfflineImportError, match=r"repeated connection id.*k1 \(connections.csv line 3\)"
    ):
        run_import(scratch, *files)
    assert LocalNeo4j(scratch).pid() is None  # refused before anything started


def test_neo4j_failing_after_the_data_is_in_says_what_to_run(
    scratch: Settings, tmp_path: Path
) -> None:
    """Neo4j stopping once the data is imported (killed while the indexes build) is a message
    saying what is in and what to run, not a traceback."""
    (tmp_path / "roles.jsonl").write_text('{"id": "friend", "name": "Friend"}\n')
    (tmp_path / "records.csv").write_text("id,type,name\nc1,contact,C\nc2,contact,D\n")
    (tmp_path / "connections.csv").write_text("id,record1_id,record2_id\nk1,c1,c2\n")
    files = (tmp_path / "roles.jsonl", tmp_path / "records.csv", tmp_path / "connections.csv")

    def kill_at_indexes(phase: str, done: int, total: int | None) -> None:
        if phase == "indexes" and (pid := LocalNeo4j(scratch).pid()):
            os.kill(pid, signal.SIGKILL)

    with pytest.raises(OfflineImportError, match=r"the data is imported, but the schema") as err:
        run_import(scratch, *files, progress=kill_at_indexes)
    assert "graphsvc schema apply" in str(err.value) and "roles.jsonl" in str(err.value)
