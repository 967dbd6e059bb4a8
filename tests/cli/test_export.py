"""`graphsvc export`: the loader's formats, id order, and export -> load into an empty database
-> export gives the same bytes (the 100k measurement is bench/export_roundtrip.py)."""

import json
from pathlib import Path

import pytest
from neo4j import Driver

from graphsvc.config import Settings
from tests.helpers import DATA, cli_env, query, run_check, run_cli, wipe

KINDS = ("roles", "records", "connections")


def export_all(settings: Settings, folder: Path, fmt: str) -> dict[str, bytes]:
    folder.mkdir(exist_ok=True)
    out = {}
    for kind in KINDS:
        path = folder / f"{kind}.{fmt}"
        done = run_cli(cli_env(settings), "export", kind, str(path), cwd=folder)
        assert done.returncode == 0, done.stderr
        assert f"{kind}: " in done.stdout and "rows in" in done.stdout
        out[kind] = path.read_bytes()
    return out


def load_all(settings: Settings, folder: Path, fmt: str) -> None:
    for kind in KINDS:
        done = run_cli(cli_env(settings), "load", kind, str(folder / f"{kind}.{fmt}"), cwd=folder)
        assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_export_load_export_is_byte_identical(
    fmt: str, settings: Settings, driver: Driver, tmp_path: Path
) -> None:
    for kind in KINDS:  # the sample (its bad rows fail and stay out)
        run_cli(cli_env(settings), "load", kind, str(DATA / f"{kind}.{fmt}"), cwd=tmp_path)
    driver.execute_query(
        "MATCH (n:Record {id: 'john'}) SET n.score = 7, n.vip = true, n.tags = ['a', 'b'], "
        "n.note = 'comma, \"quote\"\\nnewline'"
    )
    first = export_all(settings, tmp_path / "first", fmt)
    wipe(driver)
    load_all(settings, tmp_path / "first", fmt)
    assert export_all(settings, tmp_path / "second", fmt) == first
    assert not run_check(settings).problems

    lines = first["connections"].decode().splitlines()
    if fmt == "csv":
        assert lines[0] == (
            "id,record1_id,record2_id,record1_role_id,record2_role_id,state,description,"
            "effective_start,effective_end"
        )
        assert lines[1].startswith("c1,john,jane,referred-by,referral,active,")
        records = first["records"].decode().splitlines()
        assert records[0] == "id,type,name,city,note,score,tags,tier,vip"
    else:
        assert [json.loads(line)["id"] for line in lines] == ["c1", "c2", "c3"]
        [john] = [json.loads(r) for r in first["records"].decode().splitlines() if '"john"' in r]
        assert john["attributes"] == {
            "city": "Paris",
            "note": 'comma, "quote"\nnewline',
            "score": 7,
            "tags": ["a", "b"],
            "vip": True,
        }
        [back] = query(
            driver, "MATCH (n:Record {id: 'john'}) RETURN n.score AS score, n.tags AS tags"
        )
        assert back == {"score": 7, "tags": ["a", "b"]}  # JSON Lines keeps types


def test_export_errors(settings: Settings, tmp_path: Path) -> None:
    for args, message in [
        (["export", "people", str(tmp_path / "x.csv")], "export roles, records or connections"),
        (["export", "records", str(tmp_path / "x.txt")], "cannot tell the format"),
        (["export", "records", str(tmp_path / "no" / "x.csv")], "no such directory"),
        (["export", "records", str(tmp_path / "x.csv"), "--format", "xml"], "csv or jsonl"),
    ]:
        done = run_cli(cli_env(settings), *args, cwd=tmp_path)
        assert done.returncode == 1 and message in done.stderr, done.stderr
    assert not list(tmp_path.iterdir())


def test_export_of_records_written_by_hand(
    settings: Settings, driver: Driver, tmp_path: Path
) -> None:
    """An analyst may store in the Browser what the API has no type for. Export writes it as the
    API reads it instead of failing on it (JSON has no date; once it raised TypeError): dates,
    times and durations as ISO text, a point as {srid, coordinates}, bytes as a list. A load takes
    the text back and rejects the point into its rejects file, naming the attribute."""
    wipe(driver)
    query(
        driver,
        "CREATE (:Record {id: 'hand', type: 'contact', name: 'Hand', born: date('1990-01-02'),"
        " met: datetime('2026-01-01T10:00[Europe/Paris]'), wait: duration('P1D'),"
        " home: point({x: 1, y: 2}), raw: $raw, days: [date('2026-01-01')]})",
        raw=b"\x01\x02",
    )
    attributes = {
        "born": "1990-01-02",
        "days": ["2026-01-01"],
        "home": {"srid": 7203, "coordinates": [1.0, 2.0]},
        "met": "2026-01-01T10:00:00.000000000+01:00",
        "raw": [1, 2],
        "wait": "P1D",
    }
    jsonl, csv_path = tmp_path / "records.jsonl", tmp_path / "records.csv"
    for path in (jsonl, csv_path):
        done = run_cli(cli_env(settings), "export", "records", str(path), cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert "records: 1 rows in" in done.stdout
    [row] = [json.loads(line) for line in jsonl.read_text().splitlines()]
    assert row == {"id": "hand", "type": "contact", "name": "Hand", "attributes": attributes}
    header, line = csv_path.read_text().splitlines()
    assert header == "id,type,name,born,days,home,met,raw,wait"
    assert line == (
        'hand,contact,Hand,1990-01-02,"[""2026-01-01""]","{""srid"": 7203, ""coordinates"": '
        '[1.0, 2.0]}",2026-01-01T10:00:00.000000000+01:00,"[1, 2]",P1D'
    )

    wipe(driver)
    done = run_cli(cli_env(settings), "load", "records", str(jsonl), cwd=tmp_path)
    assert "0 created" in done.stdout and "1 failed" in done.stdout, done.stdout + done.stderr
    [rejected] = [
        json.loads(x) for x in (tmp_path / "records.rejects.jsonl").read_text().splitlines()
    ]
    assert "home" in rejected["_error"], rejected
    done = run_cli(cli_env(settings), "load", "records", str(csv_path), cwd=tmp_path)
    assert done.returncode == 0 and "1 created" in done.stdout, done.stdout + done.stderr
    [back] = query(driver, "MATCH (n:Record {id: 'hand'}) RETURN n.born AS born, n.wait AS wait")
    assert back == {"born": "1990-01-02", "wait": "P1D"}
