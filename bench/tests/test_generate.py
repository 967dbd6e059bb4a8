"""The synthetic CRM generator of bench/: deterministic, the promised shape, the exact file formats."""

import csv
import json
import statistics
from collections import Counter
from pathlib import Path

import networkx as nx
import pytest

from bench.generate import (
    RECORD_COLUMNS,
    ConnectionRow,
    Dataset,
    generate,
    parse_count,
    write,
)
from graphsvc.export import CONNECTION_COLUMNS

RECORDS = 20_000


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return generate(RECORDS, seed=7)


@pytest.fixture(scope="module")
def connections(dataset: Dataset) -> list[ConnectionRow]:
    return list(dataset.connection_rows())


@pytest.fixture(scope="module")
def files(dataset: Dataset, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("crm")
    write(dataset, out)
    return out


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def test_same_seed_same_files_other_seed_other_files(files: Path, tmp_path: Path) -> None:
    write(generate(RECORDS, seed=7), tmp_path / "again")
    write(generate(RECORDS, seed=8), tmp_path / "other")
    for name in ("records.csv", "records.jsonl", "connections.csv", "connections.jsonl"):
        assert (files / name).read_bytes() == (tmp_path / "again" / name).read_bytes(), name
        assert (files / name).read_bytes() != (tmp_path / "other" / name).read_bytes(), name
    assert (files / "starts.json").read_text() == (tmp_path / "again" / "starts.json").read_text()


def test_headers_and_keys_are_the_loader_formats(files: Path) -> None:
    assert _lines(files / "records.csv")[0] == "id,type,name,city"
    assert _lines(files / "connections.csv")[0] == (
        "id,record1_id,record2_id,record1_role_id,record2_role_id,state,description,"
        "effective_start,effective_end"
    )
    assert RECORD_COLUMNS == ["id", "type", "name", "city"]
    record = json.loads(_lines(files / "records.jsonl")[0])
    assert list(record) == ["id", "type", "name", "attributes"]
    assert set(record["attributes"]) == {"city"}
    connection = json.loads(_lines(files / "connections.jsonl")[0])
    assert list(connection) == CONNECTION_COLUMNS
    role = json.loads(_lines(files / "roles.jsonl")[0])
    assert list(role) == [
        "id",
        "name",
        "category",
        "description",
        "record_types",
        "reciprocal_role_id",
        "acyclic",
    ]


def test_csv_and_jsonl_hold_the_same_rows(files: Path) -> None:
    with (files / "connections.csv").open(newline="") as f:
        from_csv = list(csv.DictReader(f))
    from_jsonl = [json.loads(line) for line in _lines(files / "connections.jsonl")]
    assert len(from_csv) == len(from_jsonl)
    for a, b in zip(from_csv, from_jsonl, strict=True):
        assert a == {k: "" if v is None else v for k, v in b.items()}
    with (files / "records.csv").open(newline="") as f:
        records = list(csv.DictReader(f))
    assert [r["id"] for r in records] == [
        json.loads(line)["id"] for line in _lines(files / "records.jsonl")
    ]


def test_roles_are_reciprocal_with_the_fixed_ids(dataset: Dataset) -> None:
    roles = {r["id"]: r for r in dataset.roles()}
    assert {rid: r["name"] for rid, r in roles.items()} == {
        "referral": "Referral",
        "referred-by": "Referred by",
        "friend": "Friend",
        "employer": "Employer",
        "employee": "Employee",
        "colleague": "Colleague",
    }
    for rid, role in roles.items():
        assert roles[role["reciprocal_role_id"]]["reciprocal_role_id"] == rid
    assert roles["referral"]["acyclic"] is True
    assert roles["employer"]["record_types"] == ["account"]
    assert roles["employee"]["record_types"] == ["contact"]


def test_shape_and_degree(dataset: Dataset, connections: list[ConnectionRow]) -> None:
    stats = dataset.stats()
    assert stats["accounts"] == RECORDS // 20
    assert 1.45 < stats["connections_per_record"] < 1.55  # ~3 connection ends per record
    assert len(connections) == stats["connections"]
    assert len({c["id"] for c in connections}) == len(connections)
    pairs = Counter(
        (frozenset((c["record1_id"], c["record2_id"])), c["record2_role_id"]) for c in connections
    )
    assert max(pairs.values()) == 1  # no duplicate connection
    assert all(c["record1_id"] != c["record2_id"] for c in connections)
    states = Counter(c["state"] for c in connections)
    assert 0.01 < states["inactive"] / len(connections) < 0.05
    windows = [c for c in connections if c["effective_start"] or c["effective_end"]]
    assert 0.05 < len(windows) / len(connections) < 0.11
    for c in windows:
        if c["effective_start"] and c["effective_end"]:
            assert c["effective_start"] <= c["effective_end"]


def test_roles_fit_the_record_types_and_directions(
    dataset: Dataset, connections: list[ConnectionRow]
) -> None:
    types = {r["id"]: r["type"] for r in dataset.record_rows()}
    for c in connections:
        if c["record2_role_id"] == "employer":
            assert (types[c["record1_id"]], types[c["record2_id"]]) == ("contact", "account")
            assert c["record1_role_id"] == "employee"
        else:
            assert types[c["record1_id"]] == types[c["record2_id"]] == "contact"
        if c["record2_role_id"] == "referral":
            assert c["record1_role_id"] == "referred-by"
            # the referrer (record1) comes first: ids are in creation order
            assert c["record1_id"] < c["record2_id"]


def test_referral_forest_is_acyclic_deep_and_skewed(
    dataset: Dataset, connections: list[ConnectionRow]
) -> None:
    forest = nx.DiGraph()
    for c in connections:
        if c["record2_role_id"] == "referral":
            forest.add_edge(c["record1_id"], c["record2_id"])  # referrer -> referred
    assert nx.is_directed_acyclic_graph(forest)
    assert max(d for _, d in forest.in_degree()) == 1  # one referrer each: a forest
    assert nx.dag_longest_path_length(forest) == 8
    starts = dataset.starts(k=5)
    biggest = len(nx.descendants(forest, starts["referral_roots"][0]))
    assert biggest == dataset.stats()["largest_referral_downline"]
    assert biggest > 100
    assert forest.in_degree(starts["referral_roots"][0]) == 0


def test_account_sizes_are_skewed(dataset: Dataset, connections: list[ConnectionRow]) -> None:
    sizes = Counter(c["record2_id"] for c in connections if c["record2_role_id"] == "employer")
    ordered = sorted(sizes.values())
    assert ordered[-1] > 30 * statistics.median(ordered)
    starts = dataset.starts(k=5)
    assert sizes[starts["big_accounts"][0]] == ordered[-1]
    employees = {c["record1_id"] for c in connections if c["record2_id"] in starts["big_accounts"]}
    assert set(starts["big_account_employees"]) <= employees
    assert len(starts["big_account_employees"]) == len(starts["random"]) == 5


def test_friendships_close_cycles(connections: list[ConnectionRow]) -> None:
    friends = nx.Graph()
    for c in connections:
        if c["record2_role_id"] == "friend":
            friends.add_edge(c["record1_id"], c["record2_id"])
    assert sum(nx.triangles(friends).values()) > 100


def test_parse_count() -> None:
    assert parse_count("100k") == 100_000
    assert parse_count("1m") == 1_000_000
    assert parse_count("2500") == 2_500
