"""A local, tuned PostgreSQL for the side-by-side benchmark (not part of the product).

    python -m bench.postgres start | stop | status | settings
    python -m bench.postgres load bench/data/100k

Uses Debian's `postgresql` package (`apt-get install postgresql`): `initdb` and `pg_ctl` from
/usr/lib/postgresql/<version>/bin. The cluster lives in `~/.cache/graphsvc/pg` of the user that
runs the server: PostgreSQL refuses to run as root, so under root it runs as `postgres` and the
directory is that user's (`~postgres/.cache/graphsvc/pg`; `GRAPHSVC_PG_DIR` puts it elsewhere, in a
directory that user may write). It listens on 127.0.0.1 only
(`GRAPHSVC_PG_PORT`, default 55432), trust auth, database `graphsvc`.

The settings (`SETTINGS`) are what a DBA would give an in-memory read-mostly workload on this box
(2 cores, 24 GB, shared with Neo4j and the API): the whole 1M data set (0.9 GB with indexes)
fits in shared_buffers, planner costs say "RAM, not disk", no JIT (its compile time dwarfs
millisecond queries), one parallel worker per query at most (two cores in all), and a WAL set-up
for bulk COPY (wal_level minimal, big max_wal_size). fsync stays on, as in production.
"""

import argparse
import glob
import json
import os
import pwd
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psycopg

SQL_DIR = Path(__file__).resolve().parent / "sql"
COPY_CHUNK = 1 << 20

PORT = int(os.environ.get("GRAPHSVC_PG_PORT", "55432"))
DATABASE = "graphsvc"
RUN_AS = "postgres"

SETTINGS: dict[str, str] = {
    "listen_addresses": "'127.0.0.1'",
    "max_connections": "50",
    "shared_buffers": "'4GB'",
    "effective_cache_size": "'12GB'",
    "work_mem": "'64MB'",
    "maintenance_work_mem": "'1GB'",
    "huge_pages": "'try'",
    "random_page_cost": "1.1",
    "effective_io_concurrency": "200",
    "jit": "off",
    "max_worker_processes": "4",
    "max_parallel_workers": "2",
    "max_parallel_workers_per_gather": "1",
    "max_parallel_maintenance_workers": "1",
    "wal_level": "minimal",
    "max_wal_senders": "0",
    "max_wal_size": "'8GB'",
    "checkpoint_timeout": "'30min'",
    "checkpoint_completion_target": "0.9",
    "wal_compression": "on",
    "default_statistics_target": "200",
    "track_io_timing": "on",
    "logging_collector": "off",
}


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if found:
        return found[-1]
    on_path = shutil.which(name)
    if not on_path:
        sys.exit("PostgreSQL is not installed: apt-get install -y postgresql")
    return on_path


def version() -> str:
    out = subprocess.run(
        [_bin("postgres"), "--version"], capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def _user() -> str | None:
    """The user to run the server as: None for the current user, `postgres` under root."""
    return RUN_AS if os.geteuid() == 0 else None


def data_dir() -> Path:
    if os.environ.get("GRAPHSVC_PG_DIR"):
        return Path(os.environ["GRAPHSVC_PG_DIR"])
    user = _user()
    home = Path(pwd.getpwnam(user).pw_dir) if user else Path.home()
    return home / ".cache" / "graphsvc" / "pg"


def _run(args: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
    user = _user()
    cmd = ["runuser", "-u", user, "--", *args] if user else args
    return subprocess.run(cmd, capture_output=True, text=True, check=check, cwd="/")


def dsn() -> str:
    return f"host=127.0.0.1 port={PORT} dbname={DATABASE} user={RUN_AS}"


def _write_conf(pgdata: Path) -> bool:
    """Write the settings into postgresql.auto.conf; whether they changed."""
    lines = [f"port = {PORT}", *(f"{k} = {v}" for k, v in SETTINGS.items())]
    conf = "# graphsvc bench (bench/postgres.py)\n" + "\n".join(lines) + "\n"
    target = pgdata / "postgresql.auto.conf"
    if target.exists() and target.read_text() == conf:
        return False
    tmp = Path("/tmp") / f"graphsvc-pg-{os.getpid()}.conf"
    tmp.write_text(conf)
    tmp.chmod(0o644)
    _run(["cp", str(tmp), str(target)])
    tmp.unlink()
    return True


def status() -> bool:
    pgdata = data_dir()
    if not (pgdata / "PG_VERSION").exists():
        return False
    return _run([_bin("pg_ctl"), "-D", str(pgdata), "status"], check=False).returncode == 0


def start() -> None:
    """initdb on first use, (re)write the settings, start, create the database; idempotent."""
    pgdata = data_dir()
    if not (pgdata / "PG_VERSION").exists():
        _run(["mkdir", "-p", str(pgdata)])
        _run(
            [
                _bin("initdb"),
                "-D",
                str(pgdata),
                "-U",
                RUN_AS,
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ]
        )
    changed = _write_conf(pgdata)
    running = status()
    if not running or changed:
        # -l: the server must not inherit our pipes, or waiting for pg_ctl never ends.
        action = "restart" if running else "start"
        log = str(pgdata / "server.log")
        _run([_bin("pg_ctl"), "-D", str(pgdata), "-l", log, action, "-w", "-t", "60", "-m", "fast"])
    exists = _run(
        [
            _bin("psql"),
            "-h",
            "127.0.0.1",
            "-p",
            str(PORT),
            "-U",
            RUN_AS,
            "-d",
            "postgres",
            "-tAc",
            f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'",
        ]
    ).stdout.strip()
    if not exists:
        _run([_bin("createdb"), "-h", "127.0.0.1", "-p", str(PORT), "-U", RUN_AS, DATABASE])


def stop() -> None:
    if status():
        _run([_bin("pg_ctl"), "-D", str(data_dir()), "stop", "-w", "-m", "fast"])


def sql(name: str) -> str:
    """The text of bench/sql/<name>.sql."""
    return (SQL_DIR / f"{name}.sql").read_text()


def _statements(text: str) -> list[str]:
    """Split a file of plain statements (no function bodies) on `;` at line ends."""
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))
    return [s.strip() for s in body.split(";\n") if s.strip().rstrip(";").strip()]


def connect() -> psycopg.Connection[Any]:
    return psycopg.connect(dsn(), autocommit=True)


def _copy_file(conn: psycopg.Connection[Any], table: str, path: Path) -> None:
    with (
        conn.cursor() as cur,
        cur.copy(f"COPY {table} FROM STDIN (FORMAT csv, HEADER true)") as copy,
        path.open("rb") as f,
    ):
        while chunk := f.read(COPY_CHUNK):
            copy.write(chunk)


def load(data: Path) -> dict[str, Any]:
    """Drop and reload the tables from a bench.generate directory with COPY; timings in s.

    `copy_s` is the COPY of both files plus the expansion of each connection into its two rows;
    `index_s` builds the keys, foreign keys and indexes and runs VACUUM ANALYZE."""
    roles = [json.loads(line) for line in (data / "roles.jsonl").read_text().splitlines() if line]
    times: dict[str, Any] = {}
    with connect() as conn:
        for statement in _statements(sql("schema")):
            conn.execute(statement)
        conn.execute(sql("functions"))
        started = time.perf_counter()
        with conn.transaction(), conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO connection_roles VALUES (%s, %s, %s, %s, %s)",
                [
                    (r["id"], r["name"], r["category"], r["description"], r["reciprocal_role_id"])
                    for r in roles
                ],
            )
            _copy_file(conn, "records", data / "records.csv")
            _copy_file(conn, "connections_staging", data / "connections.csv")
            conn.execute(sql("expand"))
        times["copy_s"] = round(time.perf_counter() - started, 2)
        conn.execute("DROP TABLE connections_staging")
        started = time.perf_counter()
        for statement in _statements(sql("indexes")):
            conn.execute(statement)
        times["index_s"] = round(time.perf_counter() - started, 2)
        row = conn.execute(
            "SELECT (SELECT count(*) FROM records), (SELECT count(*) FROM connections),"
            " pg_total_relation_size('records') + pg_total_relation_size('connections')"
        ).fetchone()
        assert row is not None
        times["records"], times["connection_rows"], size = row
        times["size_mb"] = round(size / 2**20)
        times["connections_per_s"] = round(times["connection_rows"] / 2 / times["copy_s"])
    return times


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("action", choices=["start", "stop", "status", "settings", "load"])
    parser.add_argument("data", type=Path, nargs="?", help="for load: a bench.generate directory")
    args = parser.parse_args(argv)
    if args.action == "start":
        started = time.perf_counter()
        start()
        print(
            f"{version()} on 127.0.0.1:{PORT} ({data_dir()}) in {time.perf_counter() - started:.1f} s"
        )
    elif args.action == "stop":
        stop()
    elif args.action == "status":
        running = status()
        print(f"{'running' if running else 'stopped'}: {data_dir()} port {PORT}")
        sys.exit(0 if running else 3)
    elif args.action == "load":
        if not args.data:
            parser.error("load needs a data directory")
        print(json.dumps(load(args.data)))
    else:
        for key, value in SETTINGS.items():
            print(f"{key} = {value}")


if __name__ == "__main__":
    main()
