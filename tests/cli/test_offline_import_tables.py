"""The import's compact indexes answer exactly as a dict, a set and a graph search would."""

import random

from graphsvc.offline_import.tables import Edges, Interned, IntMap


def test_interned_numbers_strings_and_finds_them_again() -> None:
    keys = [f"c{i:07d}" for i in range(50_000)] + ["é-ü", "x" * 200, ""]
    table = Interned(10)  # grows past its first size many times
    assert [table.add(k) for k in keys] == list(range(len(keys)))
    assert all(table.find(k) == n for n, k in enumerate(keys))
    assert all(table.text(n) == k for n, k in enumerate(keys))
    assert table.add("c0000007") == -1 - 7  # already there: its ordinal, negated
    assert table.find("c9999999") == -1 and table.find("c000000") == -1
    assert len(table) == len(keys)


def test_int_map_against_a_dict() -> None:
    rng = random.Random(1)
    expected: dict[int, int] = {}
    table = IntMap(4)
    for n in range(30_000):
        key = rng.randrange(1 << 62)
        if key not in expected:
            expected[key] = n
            table.put(key, n)
    assert all(table.get(k) == v for k, v in expected.items())
    assert table.get(12345) == expected.get(12345, -1)


def test_edges_find_the_shortest_path_of_one_type() -> None:
    edges = Edges(6)
    for start, end in ((0, 1), (1, 2), (2, 3), (0, 3), (3, 4)):
        edges.add(0, start, end)
    edges.add(1, 4, 0)  # another type: not followed
    assert edges.path(0, 0, 4) == [0, 3, 4]
    assert edges.path(0, 1, 4) == [1, 2, 3, 4]
    assert edges.path(0, 4, 0) is None
    assert edges.path(1, 4, 0) == [4, 0]
    assert edges.path(2, 0, 1) is None and edges.path(0, 5, 0) is None
