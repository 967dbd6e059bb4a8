"""`graphsvc neo4j import` given hostile files: every problem is found before anything is
written, named by file, line and field; the command exits non-zero; no database appears and no
Neo4j is started. (No Neo4j needed: the import refuses before neo4j-admin.)"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from graphsvc.config import Settings
from graphsvc.neo4j_local import LocalNeo4j
from graphsvc.offline_import import OfflineImportError, run_import
from tests.helpers import free_port, local_test_settings, run_cli

ROLES = '{"id": "friend", "name": "Friend"}\n'
RECORDS = "id,type,name,city\nc1,contact,Ann,Oslo\nc2,contact,Bob,\n"
CONNECTIONS = "id,record1_id,record2_id,record1_role_id,record2_role_id\nk1,c1,c2,friend,friend\n"


@pytest.fixture
def home(tmp_path: Path) -> Settings:
    return local_test_settings(
        neo4j_home=tmp_path / "home", neo4j_bolt_port=free_port(), neo4j_http_port=free_port()
    )


def files(
    tmp_path: Path, records: bytes | str, connections: bytes | str
) -> tuple[Path, Path, Path]:
    data = tmp_path / "in"
    data.mkdir(exist_ok=True)
    (data / "roles.jsonl").write_text(ROLES)
    for name, content in (("records.csv", records), ("connections.csv", connections)):
        raw = content.encode() if isinstance(content, str) else content
        (data / name).write_bytes(raw)
    return data / "roles.jsonl", data / "records.csv", data / "connections.csv"


def command_env(home: Settings) -> dict[str, str]:
    """The environment of a `graphsvc neo4j import` run against `home`'s local server."""
    env = {
        **os.environ,
        "GRAPHSVC_NEO4J_HOME": str(home.neo4j_home),
        "GRAPHSVC_NEO4J_BOLT_PORT": str(home.neo4j_bolt_port),
        "GRAPHSVC_NEO4J_HTTP_PORT": str(home.neo4j_http_port),
        "NEO4J_PASSWORD": home.neo4j_password.get_secret_value(),
    }
    env.pop("NEO4J_URI", None)
    return env


def refused(home: Settings, paths: tuple[Path, Path, Path], match: str) -> str:
    with pytest.raises(OfflineImportError, match=match) as caught:
        run_import(home, *paths, progress=lambda *_: None)
    assert LocalNeo4j(home).pid() is None
    assert not (home.neo4j_home / "data" / "databases" / "neo4j").exists()  # nothing written
    return str(caught.value)


HOSTILE: dict[str, tuple[bytes | str, str, str]] = {
    "unknown connection column": (
        RECORDS,
        "id,record1_id,record2_id,colour\nk1,c1,c2,red\n",
        r"connections.csv line 1 \(the header\): unknown column\(s\) colour",
    ),
    "records without a type column": (
        "id,name\nc1,Ann\n",
        CONNECTIONS,
        r"records.csv line 1 \(the header\): no column type",
    ),
    "an attribute column that is no attribute name": (
        "id,type,name,Home Town\nc1,contact,Ann,Oslo\n",
        CONNECTIONS,
        r"records.csv line 1 \(the header\): attributes: attribute key 'Home Town' must match",
    ),
    "a column given twice": (
        "id,type,name,name\nc1,contact,Ann,Ann\n",
        CONNECTIONS,
        r"records.csv line 1 \(the header\): column\(s\) name given twice",
    ),
    "a row with a cell too many": (
        RECORDS + "c3,contact,Cy,Rome,extra\n",
        CONNECTIONS,
        r"records.csv line 4: 5 cells, the header has 4",
    ),
    "a bad record id": (
        RECORDS + "bad id!,contact,Cy,Rome\n",
        CONNECTIONS,
        r"(?s)1 records row\(s\) would be rejected.*records.csv line 4: id: String should match",
    ),
    "a bad connection end": (
        RECORDS,
        CONNECTIONS + "k2,c1,nobody,friend,friend\n",
        r"connections.csv line 3: record 'nobody' not found \(record2_id\)",
    ),
    "a duplicate active connection": (
        RECORDS,
        CONNECTIONS + "k2,c2,c1,friend,friend\n",
        r"connections.csv line 3: an identical active connection 'k1' already links",
    ),
    "a name far too long": (
        RECORDS + "c3,contact," + "N" * 20_000 + ",Rome\n",
        CONNECTIONS,
        r"records.csv line 4: name: Value should have at most 500 items",
    ),
    "a cell of megabytes": (
        RECORDS + 'c3,contact,"' + "N" * (2 << 20) + '",Rome\n',
        CONNECTIONS,
        r"records.csv line 4: field larger than field limit",
    ),
    "bytes that are not UTF-8": (
        RECORDS.encode() + b"c3,contact,Ann\xff\xfe,Rome\n",
        CONNECTIONS,
        r"records.csv line 4: name: .*unpaired surrogate.*\(the file is not UTF-8 there\)",
    ),
    "a quote that never closes": (
        RECORDS + 'c3,contact,"Cy,Rome\n',
        CONNECTIONS,
        r"records.csv line \d+: unexpected end of data",
    ),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_refused_before_anything_is_written(case: str, home: Settings, tmp_path: Path) -> None:
    records, connections, match = HOSTILE[case]
    refused(home, files(tmp_path, records, connections), match)


def test_every_rejected_row_is_in_the_rejects_file(home: Settings, tmp_path: Path) -> None:
    paths = files(tmp_path, RECORDS + "bad id!,contact,X,\nc4,,Y,\n", CONNECTIONS)
    message = refused(home, paths, "2 records row")
    rejects = (tmp_path / "in" / "records.rejects.csv").read_text()
    assert "bad id!" in rejects and "c4" in rejects and "_error" in rejects
    assert "records.rejects.csv" in message


def test_the_command_exits_non_zero_with_the_message(home: Settings, tmp_path: Path) -> None:
    roles, records, connections = files(tmp_path, RECORDS, CONNECTIONS + "k1,c2,c1,,\n")
    env = command_env(home)
    args = ["--roles", roles, "--records", records, "--connections", connections]
    result = subprocess.run(
        [sys.executable, "-m", "graphsvc", "neo4j", "import", *map(str, args)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0
    assert "repeated connection id(s) in connections.csv, e.g. k1 (connections.csv line 3)" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr
    assert "records..." in result.stderr  # progress: the phases as they start
    assert not (home.neo4j_home / "data" / "databases" / "neo4j").exists()


def test_rows_that_break_a_rule_are_in_the_rejects_file_too(home: Settings, tmp_path: Path) -> None:
    """A row valid by its model but broken by a rule crosses from the helper process without its
    cells; they are read again for the rejects file."""
    extra = "k2,c1,nobody,friend,friend\nk3,c2,c1,friend,friend\n"
    paths = files(tmp_path, RECORDS, CONNECTIONS + extra)
    refused(home, paths, "2 connections row")
    text = (tmp_path / "in" / "connections.rejects.csv").read_text()
    lines = text.splitlines()
    assert lines[0] == "id,record1_id,record2_id,record1_role_id,record2_role_id,_error"
    assert lines[1].startswith("k2,c1,nobody,friend,friend,record 'nobody' not found")
    assert lines[2].startswith("k3,c2,c1,friend,friend,an identical active connection 'k1'")


def test_skip_rejected_imports_the_valid_rows_and_still_exits_1(
    home: Settings, tmp_path: Path
) -> None:
    extra = "k2,c1,nobody,friend,friend\n"
    roles, records, connections = files(tmp_path, RECORDS, CONNECTIONS + extra)
    env = command_env(home)
    args: list[str | Path] = ["--roles", roles, "--records", records]
    args += ["--connections", connections]
    try:
        ran = run_cli(env, "neo4j", "import", *args, "--skip-rejected")
        assert ran.returncode == 1
        assert "imported 1 roles, 2 records, 1 connections" in ran.stdout
        assert "rejected 1 connections" in ran.stderr
        assert "record 'nobody' not found" in ran.stderr
    finally:
        LocalNeo4j(home).stop()
