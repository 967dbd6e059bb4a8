"""Regenerate bench/RESULTS.md from the committed raw reports in bench/results/, nothing else.

    python -m bench.results_md            # newest compare-1m-*.json and import-1m-*.json
    python -m bench.results_md --compare bench/results/compare-1m-20261128T0900.json

Every figure in RESULTS.md is read from a raw report that bench/compare.py or
bench/offline_import.py wrote; the verdicts apply the goals of issue 13 to those figures. A
report taken with other JVMs running or a load average above 1.5 is marked as a trial, not a
final measurement.
"""

import argparse
import json
from pathlib import Path
from typing import Any

from bench.common import RESULTS_DIR
from bench.compare import table
from bench.profile_reads import table as profile_table

OUT = Path(__file__).resolve().parent / "RESULTS.md"
# The 1M report from before issue 13 (same script, older operations): the throughput baseline.
BASELINE = RESULTS_DIR / "compare-1m.json"
SMALL = (
    "record read",
    "related friend",
    "reach referral d2 small",
    "reach referral d6 small",
    "chains d6 small",
    "shortest friend d6",
)


def newest(pattern: str) -> Path | None:
    found = sorted(RESULTS_DIR.glob(pattern))
    return found[-1] if found else None


def quiet(report: dict[str, Any]) -> bool:
    # Judged before the run: the load average after it is the bench's own work (eight client
    # connections, Neo4j and PostgreSQL on two cores), not another process's.
    others = report.get("other_processes_before", {})
    return others.get("java", 99) <= 1 and _load(report.get("load_before")) <= 1.5


def _load(value: Any) -> float:
    if isinstance(value, str):  # older reports: "['0.5', '0.4', '0.3']"
        value = json.loads(value.replace("'", '"'))
    return float(value[0]) if value else 99.0


def p50(entry: dict[str, Any] | None, layer: str) -> float | None:
    if not entry or not entry.get(layer):
        return None
    return round(float(entry[layer]["p50_ms"]), 2)


def verdicts(report: dict[str, Any], imp: dict[str, Any] | None) -> list[tuple[str, str, str]]:
    ops = {e["op"]: e for e in report["operations"]}
    rows: list[tuple[str, str, str]] = []

    def yes(ok: bool | None) -> str:
        return "-" if ok is None else ("**yes**" if ok else "**no**")

    for name in SMALL:
        e = ops.get(name)
        api, pg = p50(e, "api"), p50(e, "pg")
        ok = None if api is None or pg is None else api <= 2.5 and api <= 4 * pg
        rows.append(
            (f"{name}: API <= 2.5 ms and <= 4x PostgreSQL", f"API {api} ms, PG {pg} ms", yes(ok))
        )
    hub = ops.get("hub page: employees")
    api = p50(hub, "api")
    mid = ops.get("page: employees, 150-300")
    rows.append(
        (
            "hub page (100 of ~7k): API <= 4 ms, independent of degree",
            f"API {api} ms"
            + (
                f" (driver {p50(hub, 'driver')} ms; the same page off accounts of 150-300 "
                f"employees: API {p50(mid, 'api')} ms, driver {p50(mid, 'driver')} ms)"
                if mid
                else ""
            ),
            yes(None if api is None else api <= 4),
        )
    )
    net = ops.get("network d2 cap 300")
    api = p50(net, "api")
    rows.append(
        (
            "network d2 cap 300: API <= 10 ms",
            f"API {api} ms",
            yes(None if api is None else api <= 10),
        )
    )
    for depth, factor, goal in (
        (2, 1.0, "not slower than PostgreSQL"),
        (3, 0.5, ">= 2x faster than PostgreSQL"),
    ):
        e = ops.get(f"reach all d{depth}")
        api, pg = p50(e, "api"), p50(e, "pg")
        ok = None if api is None or pg is None else api <= factor * pg
        rows.append(
            (
                f"reach all roles d{depth} from hub employees: {goal}",
                f"API {api} ms, PG {pg} ms",
                yes(ok),
            )
        )
    worst = [
        (e["op"], round(p50(e, "api") / p50(e, "driver"), 2))  # type: ignore[operator]
        for e in report["operations"]
        if p50(e, "api") and p50(e, "driver") and not e["op"].startswith("floor")
    ]
    over = [f"{op} {r}" for op, r in worst if r > 1.25]
    rows.append(
        (
            "API <= 1.25x the driver, every operation",
            "over: " + ", ".join(over) if over else "all within",
            yes(None if not worst else not over),
        )
    )
    before = BASELINE.exists() and {
        e["op"]: e for e in json.loads(BASELINE.read_text())["operations"]
    }
    for now_op, then_op in (
        ("related referral", "related referral"),
        ("hub page: employees", "related employee"),
    ):
        now_qps = (ops.get(now_op) or {}).get("api_w1_c8", {}).get("qps")
        then_qps = (before or {}).get(then_op, {}).get("api_w1_c8", {}).get("qps")
        ratio = round(now_qps / then_qps, 1) if now_qps and then_qps else None
        rows.append(
            (
                f"{now_op}: API qps with 8 connections, 1 worker >= 5x before issue 13",
                f"{now_qps} qps vs {then_qps} in `{BASELINE.name}` ({ratio}x; that run: shared "
                "machine, load average 3.7-7.5)",
                yes(None if ratio is None else ratio >= 5),
            )
        )
    if imp:
        ratio, rss = imp.get("end_to_end_over_admin"), imp.get("peak_rss_mb_graphsvc")
        rows.append(
            (
                "`graphsvc neo4j import` 1M: end to end <= 2x neo4j-admin, peak RSS < 500 MB",
                f"{imp['wall_s']} s vs neo4j-admin {imp['neo4j_admin_s']} s ({ratio}x); "
                f"RSS {rss} MB (neo4j-admin JVM {imp.get('peak_rss_mb_children')} MB)",
                yes(ratio is not None and ratio <= 2 and rss is not None and rss < 500),
            )
        )
    return rows


def render(compare: Path, imp_path: Path | None, profile_path: Path | None = None) -> str:
    report = json.loads(compare.read_text())
    imp = json.loads(imp_path.read_text()) if imp_path else None
    status = (
        "measured on a quiet machine"
        if quiet(report)
        else "**TRIAL, NOT FINAL**: taken on the shared machine (other JVMs running, load "
        "average above 1.5); ratios only indicative"
    )
    lines = [
        "# graphsvc vs the raw driver vs a tuned PostgreSQL: latest results",
        "",
        "Generated by `python -m bench.results_md` from the raw reports "
        f"`{compare.relative_to(OUT.parent.parent)}`"
        + (f" and `{imp_path.relative_to(OUT.parent.parent)}`" if imp_path else "")
        + f"; {status}. Edit nothing here by hand: rerun the bench and regenerate.",
        "",
        f"- Command: `{report.get('command', 'python -m bench.compare ...')}`, commit "
        f"`{report.get('commit', '?')[:10]}`{' (with uncommitted changes)' if report.get('dirty') else ''}, "
        f"started {report.get('started_utc', '?')} UTC.",
        f"- Machine: {report['machine']}; load average before {report.get('load_before')}, after "
        f"{report.get('load_after')}; other processes before {report.get('other_processes_before')}, "
        f"after {report.get('other_processes_after')}.",
        f"- Neo4j: {report.get('neo4j_uri')}, heap "
        f"{report.get('neo4j_settings', {}).get('server.memory.heap.max_size')}, page cache "
        f"{report.get('neo4j_settings', {}).get('server.memory.pagecache.size')}; PostgreSQL: "
        f"{report.get('postgres')}.",
        f"- Data: `{report['data']}`, {report['records']:,} records, {report['connections']:,} "
        "connections. Every layer's answer was checked against PostgreSQL's (the driver's for "
        "network) before timing; mismatches are flagged in the table.",
        "",
        "## Verdict against issue 13's goals",
        "",
        "| goal | measured (p50) | met? |",
        "|---|---|---|",
        *(f"| {g} | {m} | {ok} |" for g, m, ok in verdicts(report, imp)),
        "",
        "## Every operation",
        "",
        "p50 / p95 in ms, one client, warm, layers interleaved case by case; qps with 8 "
        "connections (wrk); ratios of p50s. `driver`: the service's Cypher through the raw async "
        "driver, auto-commit in a READ session, as the service sends it; `repo`: the "
        "repository/traversals call the route makes; `API`: HTTP through `graphsvc serve`.",
        "",
        table(report),
        "",
    ]
    if profile_path:
        prof = json.loads(profile_path.read_text())
        lines += [
            "## Where the time of a read goes",
            "",
            f"From `{profile_path.relative_to(OUT.parent.parent)}` (`{prof['command']}`, commit "
            f"`{prof.get('commit', '?')[:10]}`, load average before {prof.get('load_before')}, "
            f"after {prof.get('load_after')}): p50 in ms of each layer's step over the one "
            "inside it, the layers interleaved case by case (`bench/profile_reads.py`). Neo4j "
            "reports its own time in whole milliseconds.",
            "",
            profile_table(prof),
            "",
        ]
    if imp:
        lines += [
            "## First load: `graphsvc neo4j import`",
            "",
            f"`{imp['command']}`: {imp['output']}",
            "",
            f"Wall {imp['wall_s']} s; peak RSS {imp['peak_rss_mb_graphsvc']} MB (graphsvc), "
            f"{imp['peak_rss_mb_children']} MB (neo4j-admin); answer check: "
            f"{'ok' if not imp['problems'] else imp['problems'][:3]}; load average before "
            f"{imp.get('load_before')}, after {imp.get('load_after')}.",
            "",
        ]
    return "\n".join(lines + partial_sections(compare) + writes_sections())


def full_run(report: Path) -> bool:
    return "--only" not in json.loads(report.read_text()).get("command", "")


def partial_sections(compare: Path) -> list[str]:
    """Runs of some operations only (`--only`) taken after the full run: newer code, same bench."""
    root = OUT.parent.parent
    later = [
        p
        for p in sorted(RESULTS_DIR.glob("compare-1m-*.json"))
        if p.name > compare.name and not full_run(p)
    ]
    lines: list[str] = []
    for path in later:
        r = json.loads(path.read_text())
        lines += [
            f"## Since the full run: `{path.relative_to(root)}`",
            "",
            f"`{r['command']}`, commit `{r.get('commit', '?')[:10]}`"
            f"{' (with uncommitted changes)' if r.get('dirty') else ''}, started "
            f"{r.get('started_utc')} UTC; load average before {r.get('load_before')}, after "
            f"{r.get('load_after')}; other processes before {r.get('other_processes_before')}. "
            "The verdict above is the full run's; these rows supersede its rows of the same name.",
            "",
            table(r),
            "",
        ]
    return lines


def writes_sections() -> list[str]:
    """Issue 11's write-path figures, each from the newest raw report of its script."""
    lines: list[str] = []
    load, roles, check = (
        newest("load-100k-*.json"),
        newest("role-serialisation-*.json"),
        newest("check-100k-*.json"),
    )
    root = OUT.parent.parent
    if load:
        r = json.loads(load.read_text())
        phases = {p["phase"]: p for p in r["baseline"]}
        ours = {p["phase"]: p for p in r["loader"]}
        lines += [
            "## Batch path vs bare `UNWIND ... CREATE` (100k)",
            "",
            f"From `{load.relative_to(root)}` (`python -m bench.run --scales 100k --steps "
            f"generate,load`, batch size {r['batch_size']}, load average before "
            f"{r.get('load_before')}, after {r.get('load_after')}). The baseline writes the same "
            "graph (ConnectionKey with `active_key`) with no validation, rules or locks; the batch "
            "path is `graphsvc load`'s own time, from a connected driver as the baseline's. "
            + (
                "Both ran after an untimed warm-up load (a cold Neo4j's JIT flatters the ratios)."
                if r.get("warmup")
                else "**No warm-up load ran first: the baseline met a cold JIT.**"
            ),
            "",
            "| phase | baseline rows/s | batch path rows/s | batch path / baseline (goal >= 0.8) "
            "| each pair of runs |",
            "|---|---|---|---|---|",
            *(
                f"| {k} | {phases[k]['rows_per_s']:,} | {ours[k]['batch_path_rows_per_s']:,} | "
                f"{r['ratio_batch_path'][k]} | {r.get('ratio_batch_path_pairs', {}).get(k, '-')} |"
                for k in ("records", "connections")
            ),
            "",
            "Rows/s are each side's median run; the ratio is the median of the pairs' ratios "
            "(a baseline, then the loader's first load right after it).",
            "",
            f"End to end (the `graphsvc load` process, start included): {r['ratio']}; Neo4j CPU "
            f"per row, baseline / batch path: {r['ratio_server_cpu']}.",
            "",
            "Every committed run with paired medians, newest first (batch path / baseline, "
            "records and connections; the machine): "
            + "; ".join(
                f"`{p.name}` {d['ratio_batch_path']['records']} / "
                f"{d['ratio_batch_path']['connections']} ({d['machine']['cpu']})"
                for p in sorted(RESULTS_DIR.glob("load-100k-*.json"), reverse=True)
                if "ratio_batch_path_pairs" in (d := json.loads(p.read_text()))
            )
            + ".",
            "",
        ]
    if roles:
        r = json.loads(roles.read_text())
        lines += [
            "## Per-role serialisation under many API writers",
            "",
            f"From `{roles.relative_to(root)}` (`python -m bench.role_serialisation`, "
            f"{r['writers']} writers x {r['each']} `POST /connections` per mode, load average "
            f"before {r.get('load_before')}, after {r.get('load_after')}).",
            "",
            "| mode | connections/s | vs roleless | p50 ms | p95 ms |",
            "|---|---|---|---|---|",
            *(
                f"| {m['mode']} | {m['per_s']} | {r['throughput_vs_roleless'][m['mode']]} | "
                f"{m['p50_ms']} | {m['p95_ms']} |"
                for m in r["modes"]
            ),
            "",
        ]
    if check:
        r = json.loads(check.read_text())
        lines += [
            "## `graphsvc check` at 100k",
            "",
            f"From `{check.relative_to(root)}` (`python -m bench.check_time`): "
            f"{r['records']:,} records, {r['connections']:,} connections; loop search median "
            f"{r['loop_search_median_s']} s of {r['loop_search_seconds']}; the whole check "
            f"{r['check_seconds']} s (exit {r['check_exit']}); load average before "
            f"{r.get('load_before')}, after {r.get('load_after')}.",
            "",
        ]
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--compare", type=Path, help="default: the newest full compare-1m-*.json (no --only)"
    )
    parser.add_argument("--import-report", type=Path, help="default: the newest import-1m-*.json")
    parser.add_argument("--profile", type=Path, help="default: the newest profile-1m-*.json")
    args = parser.parse_args(argv)
    full = [p for p in sorted(RESULTS_DIR.glob("compare-1m-*.json")) if full_run(p)]
    compare = args.compare or (full[-1] if full else None)
    if compare is None:
        raise SystemExit("no bench/results/compare-1m-*.json: run python -m bench.compare first")
    imp = args.import_report or newest("import-1m-*.json")
    prof = args.profile or newest("profile-1m-*.json")
    OUT.write_text(
        render(compare.resolve(), imp.resolve() if imp else None, prof.resolve() if prof else None)
    )
    print(f"wrote {OUT} from {compare}")


if __name__ == "__main__":
    main()
