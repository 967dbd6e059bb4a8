"""Deterministic synthetic CRM graph: contacts, accounts and their connections, at any size.

    python -m bench.generate --records 1000000 --seed 1 --out bench/data/1m

The same (records, seed) always gives the same files. The structure is kept as a few int arrays
indexed by record (about 25 bytes per record), and rows are derived from them while they are
written, so memory stays flat: 1M records take ~25 MB, not 1M dicts.

What is in it (N records; figures are expectations, `manifest.json` has the exact counts):
- accounts: 5% of N (`a0000000`...), contacts: the rest (`c0000000`...); one attribute, `city`.
- referral forest: each contact after the first is referred with p=0.5 by an earlier contact
  chosen by preferential attachment (weight 1 + referrals already made), so early contacts have
  large downlines; depth is capped at 8 (a pick that would go deeper moves up to an ancestor).
- employment: 60% of contacts work for an account drawn from a Zipf(s=0.7) law over accounts,
  so at 1M the largest account has ~7k employees while the median has a handful.
- colleagues: 10% of employees are linked to the previous employee of the same account.
- friendships: 36% of contacts befriend a uniformly chosen earlier contact; half of those whose
  friend has a friend also befriend that one, closing friend triangles (cycles).
- about 1.5 connections per record (3 connection ends per record): 0.475 N referrals,
  0.57 N employments, ~0.4 N friendships, ~0.05 N colleague links.
- each connection: inactive with p=0.03; an effective-date window with p=0.08 (start only,
  end only, or both; dates in 2015..2027); a description with p=0.2.
Every connection is "owned" by its later (or contact) end, which makes duplicates impossible.

Over ~300 lines on purpose: the graph's shape (forest, friendships, hubs, windows) and its
writers share the int arrays above; split, each half would need the other's internals.
"""

import argparse
import bisect
import csv
import json
import random
import sys
import time
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypedDict

from graphsvc.export import CONNECTION_COLUMNS  # the loader's (and export's) connection columns

ACCOUNT_SHARE = 0.05
REFERRED_P = 0.5
MAX_REFERRAL_DEPTH = 8
EMPLOYED_P = 0.6
ZIPF_S = 0.7
COLLEAGUE_P = 0.1
FRIEND_P = 0.36
TRIANGLE_P = 0.5
INACTIVE_P = 0.03
WINDOW_P = 0.08
DESCRIPTION_P = 0.2

RECORD_COLUMNS = ["id", "type", "name", "city"]


class RoleRow(TypedDict):
    id: str
    name: str
    category: str
    description: str
    record_types: list[str]
    reciprocal_role_id: str
    acyclic: bool


class RecordRow(TypedDict):
    id: str
    type: str
    name: str
    attributes: dict[str, str]


class ConnectionRow(TypedDict):
    id: str
    record1_id: str
    record2_id: str
    record1_role_id: str
    record2_role_id: str
    state: str
    description: str | None
    effective_start: str | None
    effective_end: str | None


ROLES: list[RoleRow] = [
    {
        "id": "referral",
        "name": "Referral",
        "category": "sales",
        "description": "a contact this contact referred",
        "record_types": ["contact"],
        "reciprocal_role_id": "referred-by",
        "acyclic": True,
    },
    {
        "id": "referred-by",
        "name": "Referred by",
        "category": "sales",
        "description": "the contact who referred this contact",
        "record_types": ["contact"],
        "reciprocal_role_id": "referral",
        "acyclic": False,
    },
    {
        "id": "friend",
        "name": "Friend",
        "category": "social",
        "description": "a friend",
        "record_types": ["contact"],
        "reciprocal_role_id": "friend",
        "acyclic": False,
    },
    {
        "id": "employer",
        "name": "Employer",
        "category": "business",
        "description": "the account a contact works for",
        "record_types": ["account"],
        "reciprocal_role_id": "employee",
        "acyclic": False,
    },
    {
        "id": "employee",
        "name": "Employee",
        "category": "business",
        "description": "a contact working for the account",
        "record_types": ["contact"],
        "reciprocal_role_id": "employer",
        "acyclic": False,
    },
    {
        "id": "colleague",
        "name": "Colleague",
        "category": "business",
        "description": "a colleague at the same account",
        "record_types": ["contact"],
        "reciprocal_role_id": "colleague",
        "acyclic": False,
    },
]


def _words(text: str) -> list[str]:
    return text.split()


_FIRST = _words(
    "Ada Alan Amara Ana Ben Carla Chen Dana David Elena Emma Farah Felix Grace Hana Ivan Jack "
    "Jane John Julia Kai Lara Leo Lina Luca Maya Mia Noah Nora Omar Paul Priya Ravi Rosa Sam "
    "Sara Tariq Tom Uma Vera Wei Yara Zoe"
)
_LAST = _words(
    "Adams Baker Chen Costa Diaz Doe Evans Fischer Garcia Gupta Hansen Ito Jensen Kim "
    "Kowalski Lee Lopez Martin Meyer Moreau Nakamura Novak Okafor Olsen Patel Petrov Rossi "
    "Sato Schmidt Silva Smith Tanaka Weber Wilson Young Zhang"
)
_WORDS = _words(
    "Acme Apex Blue Bright Cedar Delta Echo Falcon Global Green Harbor Iron Kite Lumen Maple "
    "Nova Orbit Peak Pine Quantum Red River Silver Stone Summit Terra Vista Wave"
)
_SUFFIXES = ["Inc", "Ltd", "GmbH", "SA", "LLC", "Group", "Partners"]
_CITIES = _words(
    "Amsterdam Athens Austin Berlin Boston Brussels Chicago Copenhagen Dublin Helsinki Lisbon "
    "London Lyon Madrid Milan Montreal Munich Nairobi Oslo Paris Prague Rome Seattle Seoul "
    "Singapore Stockholm Sydney Tokyo Toronto Vienna Warsaw Zurich"
)
_DESCRIPTIONS = [
    "met at a conference",
    "introduced by email",
    "long-standing relationship",
    "via the partner programme",
    "from the 2024 campaign",
]
_DAY0 = date(2015, 1, 1).toordinal()
_DAYS = 12 * 365


def account_id(index: int) -> str:
    return f"a{index:07d}"


def contact_id(index: int) -> str:
    return f"c{index:07d}"


@dataclass
class Dataset:
    """The structure of one generated graph; rows are derived from it on demand."""

    records: int
    seed: int
    accounts: int
    contacts: int
    referrer: "array[int]"  # contact -> the earlier contact who referred it, or -1
    depth: "array[int]"  # contact -> depth in its referral tree (root 0)
    employer: "array[int]"  # contact -> account index, or -1
    colleague: "array[int]"  # contact -> earlier employee of the same account, or -1
    friend: "array[int]"  # contact -> earlier contact, or -1
    friend2: "array[int]"  # contact -> a friend of its friend (a triangle), or -1

    def roles(self) -> list[RoleRow]:
        return [RoleRow(**role) for role in ROLES]

    def record_rows(self) -> Iterator[RecordRow]:
        rng = random.Random(f"{self.seed}:records")
        for j in range(self.accounts):
            name = f"{rng.choice(_WORDS)} {rng.choice(_WORDS)} {rng.choice(_SUFFIXES)}"
            yield RecordRow(
                id=account_id(j),
                type="account",
                name=name,
                attributes={"city": rng.choice(_CITIES)},
            )
        for i in range(self.contacts):
            name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
            yield RecordRow(
                id=contact_id(i),
                type="contact",
                name=name,
                attributes={"city": rng.choice(_CITIES)},
            )

    def connection_rows(self) -> Iterator[ConnectionRow]:
        rng = random.Random(f"{self.seed}:connections")

        def row(cid: str, r1: str, r2: str, role1: str, role2: str) -> ConnectionRow:
            start = end = description = None
            if rng.random() < WINDOW_P:
                first = _DAY0 + rng.randrange(_DAYS)
                kind = rng.random()
                if kind < 0.8:
                    start = date.fromordinal(first).isoformat()
                if kind >= 0.4:
                    end = date.fromordinal(first + rng.randrange(30, 2000)).isoformat()
            if rng.random() < DESCRIPTION_P:
                description = rng.choice(_DESCRIPTIONS)
            state = "inactive" if rng.random() < INACTIVE_P else "active"
            return ConnectionRow(
                id=cid,
                record1_id=r1,
                record2_id=r2,
                record1_role_id=role1,
                record2_role_id=role2,
                state=state,
                description=description,
                effective_start=start,
                effective_end=end,
            )

        for i in range(self.contacts):
            me = contact_id(i)
            if (r := self.referrer[i]) >= 0:
                yield row(f"ref-{i:07d}", contact_id(r), me, "referred-by", "referral")
            if (a := self.employer[i]) >= 0:
                yield row(f"emp-{i:07d}", me, account_id(a), "employee", "employer")
            if (c := self.colleague[i]) >= 0:
                yield row(f"col-{i:07d}", me, contact_id(c), "colleague", "colleague")
            if (f := self.friend[i]) >= 0:
                yield row(f"fri-{i:07d}", me, contact_id(f), "friend", "friend")
            if (f := self.friend2[i]) >= 0:
                yield row(f"tri-{i:07d}", me, contact_id(f), "friend", "friend")

    def downline_sizes(self) -> "array[int]":
        """Contact -> number of contacts below it in its referral tree (referrers come first)."""
        size = array("i", bytes(4 * self.contacts))
        for i in range(self.contacts - 1, -1, -1):
            if (r := self.referrer[i]) >= 0:
                size[r] += size[i] + 1
        return size

    def account_sizes(self) -> "array[int]":
        size = array("i", bytes(4 * self.accounts))
        for a in self.employer:
            if a >= 0:
                size[a] += 1
        return size

    def stats(self) -> dict[str, Any]:
        def count(values: "array[int]") -> int:
            return sum(1 for v in values if v >= 0)

        kinds = {
            "referral": count(self.referrer),
            "employment": count(self.employer),
            "colleague": count(self.colleague),
            "friend": count(self.friend) + count(self.friend2),
        }
        accounts = sorted(self.account_sizes())
        downlines = self.downline_sizes()
        connections = sum(kinds.values())
        return {
            "records": self.records,
            "accounts": self.accounts,
            "contacts": self.contacts,
            "connections": connections,
            "connections_per_record": round(connections / self.records, 4),
            "edges": 2 * connections,
            "by_kind": kinds,
            "largest_account_employees": accounts[-1] if accounts else 0,
            "median_account_employees": accounts[len(accounts) // 2] if accounts else 0,
            "largest_referral_downline": max(downlines, default=0),
            "max_referral_depth": max(self.depth, default=0),
        }

    def starts(self, k: int = 20) -> dict[str, list[str]]:
        """Start records for traversal benchmarks: the heavy cases and a random sample."""
        rng = random.Random(f"{self.seed}:starts")
        downlines = self.downline_sizes()
        roots = sorted(
            (i for i in range(self.contacts) if self.referrer[i] < 0 and downlines[i] > 0),
            key=lambda i: -downlines[i],
        )[:k]
        sizes = self.account_sizes()
        big = sorted(range(self.accounts), key=lambda a: -sizes[a])[:3]
        employees = [i for i in range(self.contacts) if self.employer[i] in big]
        employees.sort(key=lambda i: big.index(self.employer[i]))
        picked = employees[: 4 * k]
        rng.shuffle(picked)
        return {
            "referral_roots": [contact_id(i) for i in roots],
            "big_accounts": [account_id(a) for a in big],
            "big_account_employees": [contact_id(i) for i in picked[:k]],
            "random": [
                account_id(n) if n < self.accounts else contact_id(n - self.accounts)
                for n in (rng.randrange(self.records) for _ in range(k))
            ],
        }


def generate(records: int, seed: int) -> Dataset:
    """Build the structure of a `records`-record graph (a few seconds per million records)."""
    if records < 2:
        raise ValueError("records must be at least 2")
    accounts = max(1, round(records * ACCOUNT_SHARE))
    contacts = records - accounts
    rng = random.Random(f"{seed}:structure")
    rand = rng.random

    cumulative: list[float] = []
    total = 0.0
    for rank in range(1, accounts + 1):
        total += rank**-ZIPF_S
        cumulative.append(total)

    def empty() -> "array[int]":
        return array("i", [-1]) * contacts

    referrer, employer, colleague, friend, friend2 = (empty() for _ in range(5))
    depth = array("b", bytes(contacts))
    tickets = array("i")  # contact i once, plus once per referral it made
    last_employee = array("i", [-1]) * accounts
    for i in range(contacts):
        if i and rand() < REFERRED_P:
            r = tickets[int(rand() * len(tickets))]
            while depth[r] >= MAX_REFERRAL_DEPTH:
                r = referrer[r]
            referrer[i] = r
            depth[i] = depth[r] + 1
            tickets.append(r)
        tickets.append(i)
        if rand() < EMPLOYED_P:
            a = min(bisect.bisect(cumulative, rand() * total), accounts - 1)
            employer[i] = a
            if last_employee[a] >= 0 and rand() < COLLEAGUE_P:
                colleague[i] = last_employee[a]
            last_employee[a] = i
        if i and rand() < FRIEND_P:
            f = int(rand() * i)
            friend[i] = f
            if friend[f] >= 0 and rand() < TRIANGLE_P:
                friend2[i] = friend[f]
    return Dataset(
        records, seed, accounts, contacts, referrer, depth, employer, colleague, friend, friend2
    )


def _csv_value(value: str | None) -> str:
    return "" if value is None else value


def write(
    dataset: Dataset, out: Path, formats: tuple[str, ...] = ("csv", "jsonl")
) -> dict[str, Any]:
    """Write roles.jsonl, records.*, connections.*, starts.json and manifest.json into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    with (out / "roles.jsonl").open("w", encoding="utf-8") as f:
        for role in dataset.roles():
            f.write(json.dumps(role) + "\n")
    _write_rows(
        out,
        "records",
        formats,
        RECORD_COLUMNS,
        dataset.record_rows(),
        lambda r: [r["id"], r["type"], r["name"], r["attributes"]["city"]],
    )
    _write_rows(
        out,
        "connections",
        formats,
        CONNECTION_COLUMNS,
        dataset.connection_rows(),
        lambda c: [_csv_value(c[k]) for k in CONNECTION_COLUMNS],
    )
    (out / "starts.json").write_text(json.dumps(dataset.starts(), indent=1) + "\n")
    manifest = {"seed": dataset.seed, "formats": list(formats), **dataset.stats()}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest


def _write_rows(
    out: Path,
    stem: str,
    formats: tuple[str, ...],
    header: list[str],
    rows: Iterator[Any],
    to_csv: Any,
) -> None:
    csv_file = (
        (out / f"{stem}.csv").open("w", encoding="utf-8", newline="") if "csv" in formats else None
    )
    jsonl_file = (out / f"{stem}.jsonl").open("w", encoding="utf-8") if "jsonl" in formats else None
    try:
        writer = csv.writer(csv_file, lineterminator="\n") if csv_file else None
        if writer:
            writer.writerow(header)
        for row in rows:
            if writer:
                writer.writerow(to_csv(row))
            if jsonl_file:
                jsonl_file.write(json.dumps(row, separators=(",", ":")) + "\n")
    finally:
        for f in (csv_file, jsonl_file):
            if f:
                f.close()


def parse_count(text: str) -> int:
    """`1000000`, `100k`, `1m`."""
    text = text.strip().lower()
    factor = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text[:-1] if factor > 1 else text) * factor)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--records", type=parse_count, required=True, help="e.g. 10k, 100k, 1m")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument(
        "--formats", default="csv,jsonl", help="comma-separated: csv, jsonl (default both)"
    )
    args = parser.parse_args(argv)
    formats = tuple(f.strip() for f in args.formats.split(",") if f.strip())
    if not formats or set(formats) - {"csv", "jsonl"}:
        parser.error("--formats takes csv, jsonl or csv,jsonl")
    started = time.perf_counter()
    manifest = write(generate(args.records, args.seed), args.out, formats)
    elapsed = time.perf_counter() - started
    json.dump(manifest, sys.stdout, indent=1)
    print(f"\nwrote {args.out} in {elapsed:.1f} s")


if __name__ == "__main__":
    main()
