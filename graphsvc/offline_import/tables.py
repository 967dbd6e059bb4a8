"""Compact, exact in-memory indexes for the import's checks, sized for millions of rows.

A Python dict of 1M strings costs ~90 MB, a set of 1.5M ints ~145 MB; these keep the same facts
in flat arrays: open addressing over 64-bit hashes, with every hit confirmed against the exact
key (the strings live once, as UTF-8, in one bytearray), so a hash collision never makes a
missing record look present or two different ids look repeated.
"""

from array import array
from collections import deque

_EMPTY = 0


def _capacity(expected: int) -> int:
    size = 1 << 10
    while size < 2 * expected:  # load factor <= 1/2: short probe chains
        size <<= 1
    return size


class Interned:
    """Strings numbered 0, 1, 2... in the order first added, found again by value."""

    def __init__(self, expected: int = 0) -> None:
        self._text = bytearray()
        self._ends = array("q")  # string n is _text[_ends[n-1]:_ends[n]]
        self._grow(_capacity(expected))

    def _grow(self, size: int) -> None:
        self._mask = size - 1
        self._hashes = array("q", bytes(8 * size))
        self._slots = array("l", bytes(8 * size))  # ordinal + 1; 0 = empty
        for ordinal in range(len(self._ends)):
            self._place(self._hash(self.text(ordinal)), ordinal)

    @staticmethod
    def _hash(key: str) -> int:
        return hash(key) or 1  # 0 marks an empty slot

    def _place(self, h: int, ordinal: int) -> None:
        i = h & self._mask
        while self._slots[i] != _EMPTY:
            i = (i + 1) & self._mask
        self._hashes[i] = h
        self._slots[i] = ordinal + 1

    def __len__(self) -> int:
        return len(self._ends)

    def text(self, ordinal: int) -> str:
        start = self._ends[ordinal - 1] if ordinal else 0
        return self._text[start : self._ends[ordinal]].decode("utf-8", "surrogateescape")

    def find(self, key: str) -> int:
        """The key's ordinal, or -1."""
        h = hash(key) or 1
        hashes, slots, mask, ends = self._hashes, self._slots, self._mask, self._ends
        i = h & mask
        encoded = b""
        while (slot := slots[i]) != _EMPTY:
            if hashes[i] == h:
                encoded = encoded or key.encode("utf-8", "surrogateescape")
                start = ends[slot - 2] if slot > 1 else 0
                if self._text[start : ends[slot - 1]] == encoded:
                    return slot - 1
            i = (i + 1) & mask
        return -1

    def add(self, key: str) -> int:
        """The new key's ordinal, or -1 - the existing one's if the key is already there."""
        found = self.find(key)
        return -1 - found if found >= 0 else self.add_new(key)

    def add_new(self, key: str) -> int:
        """`add` for a key known not to be there (found missing since)."""
        if 2 * (len(self._ends) + 1) > self._mask + 1:
            self._grow(2 * (self._mask + 1))
        self._text += key.encode("utf-8", "surrogateescape")
        self._ends.append(len(self._text))
        ordinal = len(self._ends) - 1
        self._place(hash(key) or 1, ordinal)
        return ordinal


class IntMap:
    """Non-negative int keys (< 2**63) to non-negative int values, exact (keys are stored)."""

    def __init__(self, expected: int = 0) -> None:
        self._count = 0
        self._size(_capacity(expected))

    def _size(self, size: int) -> None:
        self._mask = size - 1
        self._keys = array("q", bytes(8 * size))
        self._values = array("q", bytes(8 * size))  # value + 1; 0 = empty

    def get(self, key: int) -> int:
        """The key's value, or -1."""
        keys, values, mask = self._keys, self._values, self._mask
        i = (key * 0x9E3779B97F4A7C15 >> 17) & mask  # spread keys that differ in high bits
        while (value := values[i]) != _EMPTY:
            if keys[i] == key:
                return value - 1
            i = (i + 1) & mask
        return -1

    def put(self, key: int, value: int) -> None:
        """Set key -> value (the key must not be there yet)."""
        if 2 * (self._count + 1) > self._mask + 1:
            old = [(k, v) for k, v in zip(self._keys, self._values, strict=True) if v]
            self._size(2 * (self._mask + 1))
            for k, v in old:
                self._insert(k, v)
        self._insert(key, value + 1)
        self._count += 1

    def _insert(self, key: int, stored: int) -> None:
        i = (key * 0x9E3779B97F4A7C15 >> 17) & self._mask
        while self._values[i] != _EMPTY:
            i = (i + 1) & self._mask
        self._keys[i] = key
        self._values[i] = stored


class Edges:
    """Directed edges between record ordinals, one adjacency per relationship type, as linked
    lists in flat arrays (~12 bytes per edge): enough for the acyclic roles' loop check."""

    def __init__(self, records: int) -> None:
        self._records = records
        self._first: dict[int, array[int]] = {}  # per type: record -> its newest edge + 1
        self._target = array("l")
        self._next = array("l")  # the same record's previous edge + 1; 0 = none

    def add(self, kind: int, start: int, end: int) -> None:
        first = self._first.get(kind)
        if first is None:
            first = self._first[kind] = array("l", bytes(8 * self._records))
        self._target.append(end)
        self._next.append(first[start])
        first[start] = len(self._target)

    def path(self, kind: int, start: int, end: int) -> list[int] | None:
        """The shortest start -> ... -> end path of this type, as record ordinals, or None."""
        first = self._first.get(kind)
        if first is None or not first[start]:
            return None
        parent: dict[int, int] = {start: -1}
        queue = deque([start])
        while queue:
            node = queue.popleft()
            edge = first[node]
            while edge:
                nxt = self._target[edge - 1]
                edge = self._next[edge - 1]
                if nxt in parent:
                    continue
                parent[nxt] = node
                if nxt == end:
                    path = [nxt]
                    while parent[path[-1]] >= 0:
                        path.append(parent[path[-1]])
                    return path[::-1]
                queue.append(nxt)
        return None
