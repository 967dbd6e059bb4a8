"""`make bench`: the benchmark steps, in order (`python -m bench.run --help`).

    NEO4J_URI=bolt://127.0.0.1:47687 python -m bench.run --scales 100k --steps generate,bulk_baseline

Steps that load data WIPE the Neo4j that NEO4J_URI names, so it must be set explicitly (the
default local instance is never wiped by accident). Data sets are generated once into
bench/data/<scale>/ and reused; results go to bench/data/results/ (not in git).
"""

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

from bench import bulk_baseline
from bench.common import DATA_DIR
from bench.generate import generate, parse_count, write

RESULTS_DIR = DATA_DIR / "results"
SEED = 1


def data_for(scale: str) -> Path:
    """bench/data/<scale>, generated first if missing."""
    out = DATA_DIR / scale
    if not (out / "manifest.json").exists():
        print(f"generating {scale} into {out}", file=sys.stderr)
        write(generate(parse_count(scale), SEED), out, ("csv", "jsonl"))
    return out


def step_generate(args: argparse.Namespace) -> None:
    for scale in args.scales:
        data_for(scale)


def step_bulk_baseline(args: argparse.Namespace) -> None:
    for scale in args.scales:
        bulk_baseline.main(
            [
                str(data_for(scale)),
                "--wipe",
                "--quiet",
                "--batch-size",
                str(args.batch_size),
                "--json",
                str(RESULTS_DIR / f"bulk_baseline_{scale}.json"),
            ]
        )


def step_load(args: argparse.Namespace) -> None:
    """The online loader against the bare baseline, same data, same run (bench/load.py)."""
    from bench import load

    for scale in args.scales:
        load.main(
            [
                str(data_for(scale)),
                "--batch-size",
                str(args.batch_size),
                "--json",
                str(RESULTS_DIR / f"load_{scale}.json"),
            ]
        )


def step_compare(args: argparse.Namespace) -> None:
    """graphsvc's layers against a tuned PostgreSQL (bench/compare.py; RESULTS.md)."""
    from bench import compare

    for scale in args.scales:
        compare.main([str(data_for(scale)), "--load-neo4j"])  # raw report: bench/results/


def step_import(args: argparse.Namespace) -> None:
    """`graphsvc neo4j import` into the local instance GRAPHSVC_NEO4J_HOME names (replaces its
    database; bench/offline_import.py). Not among the default steps."""
    from bench import offline_import

    for scale in args.scales:
        offline_import.main([str(data_for(scale))])


STEPS: dict[str, Callable[[argparse.Namespace], None]] = {
    "generate": step_generate,
    "bulk_baseline": step_bulk_baseline,
    "load": step_load,
    "compare": step_compare,
    "import": step_import,
}
DEFAULT_STEPS = ("generate", "bulk_baseline", "load", "compare")
LOADS_DATA = {"bulk_baseline", "load", "compare", "import"}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--scales", default="100k", help="comma list of 10k, 100k, 1m")
    parser.add_argument(
        "--steps",
        default=",".join(DEFAULT_STEPS),
        help=f"comma list of {', '.join(STEPS)} (default: all but import)",
    )
    parser.add_argument("--batch-size", type=int, default=2_000)
    args = parser.parse_args(argv)
    args.scales = [s.strip().lower() for s in args.scales.split(",") if s.strip()]
    steps = [s.strip() for s in args.steps.split(",") if s.strip()]
    if unknown := [s for s in steps if s not in STEPS]:
        parser.error(f"unknown steps: {', '.join(unknown)}")
    if LOADS_DATA & set(steps) and not os.environ.get("NEO4J_URI"):
        parser.error("set NEO4J_URI to the Neo4j the benchmarks may wipe")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    for step in steps:
        print(f"== {step}", file=sys.stderr)
        STEPS[step](args)


if __name__ == "__main__":
    main()
