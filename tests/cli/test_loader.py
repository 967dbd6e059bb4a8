"""`graphsvc load`: every format into a real Neo4j, idempotent re-loads, the rejects round trip.

Over ~300 lines on purpose: one case per format and outcome.
"""

import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from neo4j import Driver

from graphsvc.config import REPO_ROOT, Settings
from graphsvc.graph.db import create_driver
from graphsvc.loader import Row, chunks, count_rows, prepare_chunk, read_rows
from graphsvc.neo4j_local import LocalNeo4j
from tests.helpers import DATA, Ran, cli_env, free_port, local_test_settings, query, run_cli


def load(settings: Settings, *args: str | Path) -> Ran:
    """`graphsvc load ARGS` in this process (CliRunner); the kill -9 tests below run a real one."""
    return run_cli(cli_env(settings), "load", *args)


@pytest.fixture
def files(tmp_path: Path) -> Path:
    for path in DATA.iterdir():
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def graph_state(driver: Driver) -> list[dict[str, object]]:
    """Every edge with the properties a load decides (not timestamps), in a stable order."""
    return query(
        driver,
        """MATCH (a)-[e]->(b)
           RETURN e.connection_id AS id, e.side AS side, type(e) AS type, a.id AS source,
                  b.id AS target, e.state AS state, e.description AS description,
                  toString(e.effective_start) AS start, toString(e.effective_end) AS end,
                  e.record1_role_id AS role1, e.record2_role_id AS role2
           ORDER BY id, side""",
    )


def file_rows(path: Path) -> list[dict[str, Any]]:
    """The file's rows as the standard library reads them (not graphsvc.loader's readers)."""
    if path.suffix == ".csv":
        with path.open(newline="") as f:
            return list(csv.DictReader(f))
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def rel_type(role_name: str) -> str:
    """The README's rule: a role's relationship type is its name in upper snake case."""
    return re.sub(r"[^A-Za-z0-9]+", "_", role_name).strip("_").upper()


def expected_edges(
    roles: Path,
    connections: Path,
    skip: set[str] = frozenset(),  # type: ignore[assignment]
) -> list[dict[str, object]]:
    """graph_state() as it must be after loading these files, worked out from the files alone."""
    types = {r["id"]: rel_type(r["name"]) for r in file_rows(roles)}
    edges: list[dict[str, object]] = []
    for row in file_rows(connections):
        if row["id"] in skip:
            continue
        role1, role2 = row.get("record1_role_id") or None, row.get("record2_role_id") or None
        common = {
            "id": row["id"],
            "state": row.get("state") or "active",
            "description": row.get("description") or "",
            "start": row.get("effective_start") or None,
            "end": row.get("effective_end") or None,
            "role1": role1,
            "role2": role2,
        }
        r1, r2 = row["record1_id"], row["record2_id"]
        t2 = types[role2] if role2 else "CONNECTED_TO"
        t1 = types[role1] if role1 else "CONNECTED_TO"
        edges.append(common | {"side": 1, "type": t2, "source": r1, "target": r2})
        edges.append(common | {"side": 2, "type": t1, "source": r2, "target": r1})
    return sorted(edges, key=lambda e: (str(e["id"]), int(e["side"])))  # type: ignore[call-overload]


def expected_records(records: Path, skip: set[str]) -> list[dict[str, object]]:
    out = []
    for row in file_rows(records):
        if row["id"] in skip:
            continue
        attributes = row.pop("attributes", None) or {
            k: v for k, v in row.items() if k not in ("id", "type", "name") and v != ""
        }
        out.append({"id": row["id"], "type": row["type"], "name": row["name"], **attributes})
    return sorted(out, key=lambda r: str(r["id"]))


def records_in_neo4j(driver: Driver) -> list[dict[str, object]]:
    rows = query(
        driver,
        "MATCH (n:Record) RETURN properties(n) AS p, labels(n) AS labels ORDER BY n.id",
    )
    out = []
    for row in rows:
        props = {k: v for k, v in row["p"].items() if k not in ("created_at", "updated_at")}
        label = "".join(part.title() for part in str(props["type"]).split("_"))
        assert sorted(row["labels"]) == sorted(["Record", label]), row
        out.append(props)
    return out


def test_readers_and_chunks() -> None:
    rows = list(read_rows(DATA / "records.csv", "records", "csv"))
    assert rows[0] == Row(
        1,
        {"id": "john", "type": "contact", "name": "John Doe", "attributes": {"city": "Paris"}},
        {"id": "john", "type": "contact", "name": "John Doe", "city": "Paris", "tier": ""},
    )
    roles = list(read_rows(DATA / "roles.csv", "roles", "csv"))
    assert roles[0].data["record_types"] == ["contact"] and roles[0].data["acyclic"] is True
    connections = list(read_rows(DATA / "connections.jsonl", "connections", "jsonl"))
    assert connections[1].data["description"] == ""
    assert count_rows(DATA / "connections.csv", "csv") == 5
    assert [len(c) for c in chunks(iter(connections), 2)] == [2, 2, 1]


def test_csv_rows_are_what_the_standard_library_reads(tmp_path: Path) -> None:
    """The CSV reader skips csv.DictReader's per-row overhead; it must keep its answers on
    ragged files: a BOM, blank lines, short and long rows, a repeated column, quoted line breaks."""
    path = tmp_path / "ragged.csv"
    path.write_text(
        '\ufeffid,type,name,city,city\n\nj,contact,"Jo\nDoe",Oslo,Rome\nk,contact\n'
        "l,contact,L,,,extra,more\n\n",
        encoding="utf-8",
    )
    with path.open(encoding="utf-8-sig", newline="") as f:
        expected = list(csv.DictReader(f))
    rows = list(read_rows(path, "records", "csv"))
    assert [r.source for r in rows] == expected
    assert [r.number for r in rows] == [1, 2, 3]
    assert [r.data for r in rows] == [
        {"id": "j", "type": "contact", "name": "Jo\nDoe", "attributes": {"city": "Rome"}},
        {"id": "k", "type": "contact", "attributes": {"city": None}},
        {"id": "l", "type": "contact", "name": "L", "attributes": {}},
    ]


def test_bad_jsonl_lines_fail_alone(tmp_path: Path) -> None:
    path = tmp_path / "records.jsonl"
    path.write_text('5\n{not json\n\n{"id": "x", "type": "contact", "name": "X"}\n')
    rows = list(read_rows(path, "records", "jsonl"))
    prepared = prepare_chunk("records", rows, None)
    assert [r["id"] for r in prepared.rows] == ["x"]
    errors = {f.index: f.error for f in prepared.failed}
    assert "not JSON" in errors[2] and "dictionary" in errors[1]


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_load_roles_records_connections_then_reload_is_unchanged(
    fmt: str, files: Path, settings: Settings, driver: Driver
) -> None:
    roles = load(settings, "roles", files / f"roles.{fmt}")
    assert roles.returncode == 0, roles.stderr
    assert "5 created" in roles.stdout

    records = load(settings, "records", files / f"records.{fmt}", "--batch-size", "2")
    assert records.returncode == 1, records.stderr
    assert "4 created, 0 updated, 0 unchanged, 1 failed" in records.stdout
    assert "row 5 (bad id)" in records.stderr

    connections = load(settings, "connections", files / f"connections.{fmt}", "--batch-size", "2")
    assert connections.returncode == 1
    assert "3 created, 0 updated, 0 unchanged, 2 failed" in connections.stdout
    assert "record 'ghost' not found (record2_id)" in connections.stderr
    assert "would close a loop" in connections.stderr
    state = graph_state(driver)
    # Every property of every edge, and every record, as the input files say (c4, c5 and the
    # record "bad id" are the rows the README says fail).
    assert state == expected_edges(
        files / f"roles.{fmt}", files / f"connections.{fmt}", skip={"c4", "c5"}
    )
    assert records_in_neo4j(driver) == expected_records(files / f"records.{fmt}", {"bad id"})
    roles_in_db = query(
        driver,
        """MATCH (r:ConnectionRole) RETURN r.id AS id, r.name AS name, r.category AS category,
                  r.description AS description, r.record_types AS record_types,
                  r.reciprocal_role_id AS reciprocal_role_id, r.acyclic AS acyclic ORDER BY id""",
    )
    roles_in_file = []
    for r in file_rows(files / f"roles.{fmt}"):
        record_types = r["record_types"]
        roles_in_file.append(
            r
            | {
                "record_types": record_types.split(";")
                if isinstance(record_types, str)
                else record_types,
                "acyclic": r["acyclic"] in (True, "true"),
            }
        )
    assert roles_in_db == sorted(roles_in_file, key=lambda r: r["id"])

    again = load(settings, "connections", files / f"connections.{fmt}")
    assert "0 created, 0 updated, 3 unchanged, 2 failed" in again.stdout
    assert load(settings, "roles", files / f"roles.{fmt}").stdout.count("5 unchanged") == 1
    assert (
        "0 created, 0 updated, 4 unchanged"
        in load(settings, "records", files / f"records.{fmt}").stdout
    )
    assert graph_state(driver) == state


def test_rejects_round_trip_csv(files: Path, settings: Settings, driver: Driver) -> None:
    load(settings, "roles", files / "roles.csv")
    load(settings, "records", files / "records.csv")
    result = load(settings, "connections", files / "connections.csv")
    assert result.returncode == 1
    rejects = files / "connections.rejects.csv"
    lines = rejects.read_text().splitlines()
    assert lines[0].endswith(",_error") and len(lines) == 3
    assert lines[1].startswith("c4,bob,ghost,")

    # Fix the rejected rows: the missing record appears, the loop is turned round.
    fixed = rejects.read_text().replace("c5,jane,john,,referral", "c5,jane,bob,,referral")
    rejects.write_text(fixed)
    (files / "ghost.jsonl").write_text(
        json.dumps({"id": "ghost", "type": "contact", "name": "Casper"}) + "\n"
    )
    assert load(settings, "records", files / "ghost.jsonl").returncode == 0
    reloaded = load(settings, "connections", rejects)
    assert reloaded.returncode == 0, reloaded.stdout + reloaded.stderr
    assert "2 created, 0 updated, 0 unchanged, 0 failed" in reloaded.stdout
    assert not (files / "connections.rejects.rejects.csv").exists()
    assert len(graph_state(driver)) == 10


def test_new_records_meeting_existing_ones_mid_load(
    tmp_path: Path, settings: Settings, driver: Driver
) -> None:
    """Once a batch is all new, the loader sends the next straight to the plain create and lets
    the id constraint catch an id that exists. Batches that meet existing ids (after all-new
    ones), or repeat an id, must come out exactly as the checked path writes them."""
    query(
        driver,
        """UNWIND ['E1', 'E2'] AS name
           CREATE (:Record:Contact {id: toLower(name), type: 'contact', name: name,
                                    created_at: datetime(), updated_at: datetime()})""",
    )
    batches = [
        [("n1", "N1"), ("n2", "N2")],  # all new
        [("n3", "N3"), ("e1", "E1 changed")],  # a new id, then one that exists: updated
        [("n4", "N4"), ("n5", "N5")],  # all new
        [("n6", "N6"), ("n6", "N6 again")],  # an id twice: created, then updated
        [("n7", "N7"), ("n8", "N8")],  # all new
        [("e2", "E2"), ("n9", "N9")],  # one that exists as it is (unchanged), then a new id
    ]
    rows = [row for batch in batches for row in batch]
    path = tmp_path / "records.csv"
    path.write_text("id,type,name\n" + "".join(f"{i},contact,{n}\n" for i, n in rows))
    done = load(settings, "records", path, "--batch-size", "2")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "9 created, 2 updated, 1 unchanged, 0 failed" in done.stdout
    found = query(driver, "MATCH (n:Record) RETURN n.id AS id, n.name AS name, n.created_at AS at")
    assert {r["id"]: r["name"] for r in found} == dict(rows)  # the last row of an id wins
    assert all(r["at"] is not None for r in found)


def test_rejects_jsonl_keep_the_row_and_say_why(files: Path, settings: Settings) -> None:
    load(settings, "records", files / "records.jsonl")
    rejects = files / "records.rejects.jsonl"
    [row] = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert row["id"] == "bad id" and row["name"] == "Broken" and "id:" in row["_error"]


def test_dataverse_export_folds_twins(files: Path, settings: Settings, driver: Driver) -> None:
    roles = load(
        settings,
        "roles",
        files / "dataverse_connectionroles.json",
        "--associations",
        files / "dataverse_connectionroleassociations.json",
    )
    assert roles.returncode == 0, roles.stderr
    for table in ("contacts", "accounts"):
        result = load(settings, "records", files / f"dataverse_{table}.json")
        assert result.returncode == 0, result.stderr
    connections = load(
        settings, "connections", files / "dataverse_connections.json", "--format", "dataverse"
    )
    assert connections.returncode == 0, connections.stderr
    assert "4 created, 0 updated, 0 unchanged, 0 failed" in connections.stdout

    state = graph_state(driver)
    assert len(state) == 8  # four connections, two edges each: twins folded, not doubled
    by_id = {(e["id"], e["side"]): e for e in state}
    john, jane, bob = (f"c0000000-0000-0000-0000-00000000000{i}" for i in (1, 2, 3))
    master = by_id[("d0000000-0000-0000-0000-000000000001", 1)]
    assert (master["source"], master["type"], master["target"]) == (john, "REFERRAL", jane)
    assert master["description"] == "met at a conference"
    inactive = by_id[("d0000000-0000-0000-0000-000000000005", 1)]
    assert inactive["state"] == "inactive" and inactive["end"] == "2021-06-30"
    lone = by_id[
        ("d0000000-0000-0000-0000-000000000007", 1)
    ]  # only its non-master twin was exported
    assert (lone["source"], lone["target"]) == (john, bob)
    roles_in_db = query(
        driver,
        "MATCH (r:ConnectionRole) RETURN r.name AS name, r.category AS category, "
        "r.reciprocal_role_id AS reciprocal ORDER BY name",
    )
    assert roles_in_db[0] == {
        "name": "Employee",
        "category": "stakeholder",
        "reciprocal": "r0000000-0000-0000-0000-000000000004",
    }
    [contact] = query(
        driver,
        "MATCH (n:Contact {id: $id}) RETURN n.name AS name, n.emailaddress1 AS email",
        id=jane,
    )
    assert contact == {"name": "Jane Doe", "email": "jane@example.com"}

    again = load(settings, "connections", files / "dataverse_connections.json")
    assert "0 created, 0 updated, 4 unchanged, 0 failed" in again.stdout


def test_clear_errors(files: Path, settings: Settings) -> None:
    missing = load(settings, "records", files / "nope.csv")
    assert missing.returncode == 1 and "no such file" in missing.stderr
    odd = files / "records.txt"
    odd.write_text("x")
    assert "--format" in load(settings, "records", odd).stderr
    down = subprocess.run(
        [sys.executable, "-m", "graphsvc", "load", "records", str(files / "records.csv")],
        env=cli_env(settings) | {"NEO4J_URI": "bolt://127.0.0.1:1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert down.returncode == 1 and "unavailable" in down.stderr and "again" in down.stderr


# -- resumability: kill the loader, or stop Neo4j, mid-load; the re-run ends as a clean run would --
def generated(tmp_path: Path) -> Path:
    out = tmp_path / "10k"
    subprocess.run(
        [sys.executable, "-m", "bench.generate", "--records", "10k", "--out", str(out)],
        check=True,
        capture_output=True,
        cwd=REPO_ROOT,
        timeout=300,
    )
    return out


def assert_clean_state(driver: Driver, path: Path) -> None:
    """Exactly the file's connections, each with its key node and its two edges, every property
    as the file has it (read with the standard library, not the loader's reader)."""
    expected = expected_edges(path.parent / "roles.jsonl", path)
    [counts] = query(
        driver,
        """MATCH (k:ConnectionKey) WITH count(k) AS keys
           MATCH ()-[e]->() RETURN keys, count(e) AS edges,
                  count(DISTINCT e.connection_id) AS ids""",
    )
    assert counts == {"keys": len(expected) // 2, "edges": len(expected), "ids": len(expected) // 2}
    assert graph_state(driver) == expected


def start_connections_load(settings: Settings, path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "graphsvc", "load", "connections", str(path), "--batch-size", "500"],
        env=cli_env(settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_some_keys(driver: Driver, process: subprocess.Popen[str]) -> int:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        [row] = query(driver, "MATCH (k:ConnectionKey) RETURN count(k) AS n")
        if int(row["n"]) >= 1000:
            return int(row["n"])
        assert process.poll() is None, "the load ended before it could be interrupted"
        time.sleep(0.2)
    raise AssertionError("the load committed nothing within 120 s")


@pytest.mark.slow
def test_kill_9_mid_load_then_rerun(tmp_path: Path, settings: Settings, driver: Driver) -> None:
    data = generated(tmp_path)
    assert load(settings, "roles", data / "roles.jsonl").returncode == 0
    assert load(settings, "records", data / "records.csv").returncode == 0
    process = start_connections_load(settings, data / "connections.csv")
    try:
        committed = wait_for_some_keys(driver, process)
    finally:
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=60)
    total = len(file_rows(data / "connections.csv"))
    assert committed < total
    # No half pairs even at the kill: every key has both edges.
    [half] = query(
        driver,
        """MATCH (k:ConnectionKey)
           OPTIONAL MATCH ()-[e {connection_id: k.id}]->()
           WITH k, count(e) AS edges WHERE edges <> 2 RETURN count(k) AS n""",
    )
    assert half == {"n": 0}

    rerun = load(settings, "connections", data / "connections.csv", "--batch-size", "500")
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert f"{total} rows" in rerun.stdout and " 0 failed" in rerun.stdout
    assert_clean_state(driver, data / "connections.csv")


@pytest.fixture
def own_neo4j(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, LocalNeo4j]]:
    home = tmp_path_factory.mktemp("loader-neo4j")
    own = local_test_settings(
        neo4j_home=home, neo4j_bolt_port=free_port(), neo4j_http_port=free_port(), neo4j_heap="512m"
    )
    server = LocalNeo4j(own)
    server.start()
    try:
        yield own, server
    finally:
        server.stop()


@pytest.mark.slow
def test_neo4j_killed_mid_load_then_rerun(
    tmp_path: Path, own_neo4j: tuple[Settings, LocalNeo4j]
) -> None:
    own, server = own_neo4j
    data = generated(tmp_path)
    assert load(own, "roles", data / "roles.jsonl").returncode == 0
    assert load(own, "records", data / "records.csv").returncode == 0
    with create_driver(own) as driver:
        process = start_connections_load(own, data / "connections.csv")
        try:
            wait_for_some_keys(driver, process)
            pid = server.pid()
            assert pid is not None
            os.kill(pid, signal.SIGKILL)  # the harshest stop: transactions in flight are lost
            _, stderr = process.communicate(timeout=240)
        finally:
            if process.poll() is None:
                process.kill()
        assert process.returncode == 1
        assert "unavailable" in stderr and "run the same command again" in stderr

        while server.pid() is not None:
            time.sleep(0.2)
        server.start()  # recovers from the transaction log
        audit = subprocess.run(
            [sys.executable, "-m", "graphsvc", "check"],
            env=cli_env(own),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert audit.returncode == 0, audit.stdout + audit.stderr  # no half pairs after the crash
        rerun = load(own, "connections", data / "connections.csv", "--batch-size", "500")
        assert rerun.returncode == 0, rerun.stdout + rerun.stderr
        assert_clean_state(driver, data / "connections.csv")
