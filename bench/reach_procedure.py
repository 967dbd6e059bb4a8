"""Reach in Cypher (traversal_reach.cypher's reduce over depths) against reach in the engine
(traversal_reach_procedure.cypher: graphsvc.reach), on the same starts, in one run.

    NEO4J_URI=... NEO4J_PASSWORD=... python -m bench.reach_procedure bench/data/100k [--rounds 20]

Cases: reach over all roles from the big-account employees of `starts.json`, depth 2 and 3, with
`state=active` (and `state=any`). Each start's two answers (per-depth counts and upline) must be
equal before anything is timed; then the two queries run interleaved start by start, through
the sync driver (auto-commit in a READ session, as the service sends them), and each case's p50
and the ratio are printed with the load average before and after. The raw report goes to
`--json` if given (a development measurement; bench/compare.py's run is the one RESULTS.md
reads).
"""

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any, LiteralString

from neo4j import READ_ACCESS, Driver

from bench.common import driver, machine, percentile, provenance, starts
from graphsvc import cypher

QUERIES = {"cypher": "traversal_reach", "procedure": "traversal_reach_procedure"}
CASES = [(2, "active"), (3, "active"), (2, "any"), (3, "any")]


def run(db: Driver, text: LiteralString, params: dict[str, Any]) -> tuple[list[int], list[str]]:
    with db.session(database="neo4j", default_access_mode=READ_ACCESS) as session:
        row = session.run(text, params).single(strict=True)
    per_depth = list(row["per_depth"])
    while per_depth and per_depth[-1] == 0:
        per_depth.pop()
    return per_depth, [r["id"] for r in row["upline"]]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    ids = starts(args.data)["big_account_employees"]
    texts = {name: cypher.load(file) for name, file in QUERIES.items()}
    report: dict[str, Any] = {
        "provenance": provenance(),
        "machine": machine(),
        "load_before": os.getloadavg(),
        "cases": [],
    }
    with driver() as db:
        for _ in range(200):  # the JVM's Bolt path and both plans warm
            run(db, texts["procedure"], _params(ids[0], 2, "active"))
            run(db, texts["cypher"], _params(ids[0], 2, "active"))
        for depth, state in CASES:
            for start in ids:  # answers first
                a, b = (run(db, texts[n], _params(start, depth, state)) for n in QUERIES)
                assert a == b, (start, depth, state, a, b)
            ms: dict[str, list[float]] = {name: [] for name in QUERIES}
            reached = 0
            for _ in range(args.rounds):
                for start in ids:
                    for name, text in texts.items():
                        t = time.perf_counter()
                        per_depth, _up = run(db, text, _params(start, depth, state))
                        ms[name].append((time.perf_counter() - t) * 1000)
                    reached += sum(per_depth)
            p50 = {name: percentile(v, 50) for name, v in ms.items()}
            case = {
                "case": f"reach all d{depth} state={state}",
                "starts": len(ids),
                "rounds": args.rounds,
                "mean_reached": reached / (args.rounds * len(ids)),
                "p50_ms": p50,
                "cypher_over_procedure": p50["cypher"] / p50["procedure"],
            }
            report["cases"].append(case)
            print(
                f"{case['case']:<26} ~{case['mean_reached']:>8.0f} records  "
                f"cypher {p50['cypher']:7.2f} ms  procedure {p50['procedure']:7.2f} ms  "
                f"ratio {case['cypher_over_procedure']:.2f}x",
                flush=True,
            )
    report["load_after"] = os.getloadavg()
    print(f"load average before {report['load_before']}, after {report['load_after']}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n")


def _params(start: str, depth: int, state: str) -> dict[str, Any]:
    return {
        "id": start,
        "role": None,
        "max_depth": depth,
        "state": None if state == "any" else state,
        "as_of": None,
    }


if __name__ == "__main__":
    main()
