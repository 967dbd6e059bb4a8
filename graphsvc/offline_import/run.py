"""The import in order: refuse early, validate and write the files, neo4j-admin, start, schema.

Nothing reaches the database before every row is checked: the files are validated and written
to a temporary directory first; if any row would be rejected (or a file is broken), the import
stops there, with the rejects files written and the first problems named by file and line, and
neo4j-admin never runs (`skip_rejected=True` imports the valid rows anyway, as `graphsvc load`
does). Then Neo4j's own import tool runs while the server is stopped, the server starts, the
schema is applied and the (few) roles are written through the online loader's `upsert_roles`.
"""

import asyncio
import os
import shutil
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from neo4j.exceptions import DriverError, Neo4jError

from graphsvc import loader
from graphsvc.config import Settings
from graphsvc.graph.batch import upsert_roles
from graphsvc.graph.db import IndexBuildFailed, apply_schema_async, create_async_driver
from graphsvc.graph.handle import Graph
from graphsvc.graph.repository import Repository
from graphsvc.models import BatchResult
from graphsvc.neo4j_local import ADMIN, LocalNeo4j
from graphsvc.offline_import import connections, validate, write
from graphsvc.offline_import.helper import Helper
from graphsvc.offline_import.roles import read_roles
from graphsvc.offline_import.summary import (
    ImportSummary,
    OfflineImportError,
    Progress,
    StderrProgress,
)
from graphsvc.offline_import.tables import Interned


def _admin(server: LocalNeo4j, args: list[str], log: Path) -> list[str]:
    command = [server.java(), "-cp", f"{server.lib}/*", ADMIN, *args]
    env = {**os.environ, "NEO4J_HOME": str(server.home), "NEO4J_CONF": str(server.home / "conf")}
    env.pop("JAVA_OPTS", None)
    with log.open("w") as out:
        result = subprocess.run(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    if result.returncode != 0:
        lines = [line for line in log.read_text().splitlines() if line.strip()]
        raise OfflineImportError(
            f"neo4j-admin import failed ({lines[-1] if lines else 'no output'}); see {log}"
        )
    return command


def _refuse_early(settings: Settings, paths: tuple[Path, ...], overwrite: bool) -> LocalNeo4j:
    """What makes the import impossible, found in seconds rather than after minutes of work."""
    for path in paths:
        if not path.is_file():
            raise OfflineImportError(f"no such file: {path}")
        loader.detect_format(path)
    server = LocalNeo4j(settings)
    pid = server.pid()
    if pid is not None:
        raise OfflineImportError(
            f"Neo4j is running (pid {pid}); the import needs it stopped: `graphsvc neo4j stop`"
        )
    server.preflight()  # Java, free ports, the password
    database = server.data_dir / "databases" / settings.neo4j_database
    if database.exists() and not overwrite:
        raise OfflineImportError(
            f"database '{settings.neo4j_database}' already exists in {database.parent}; the "
            "import is for a first load only (use `graphsvc load`), or pass --overwrite to "
            "replace it and everything in it"
        )
    return server


def convert(
    roles_path: Path,
    records_path: Path,
    connections_path: Path,
    work: Path,
    roles_check: validate.Checker,
    summary: ImportSummary,
    progress: Progress,
) -> tuple[list[tuple[int, dict[str, Any]]], bool]:
    """Validate every row and write neo4j-admin's files into `work`; the valid role rows and
    whether any value spans lines."""
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    validate.check_header(records_path, "records")
    validate.check_header(connections_path, "connections")
    progress("roles", 0, None)
    roles, role_rows = read_roles(roles_path, roles_check, summary)
    # both helpers forked now, while this process is small: they share little with it
    record_rows = Helper(validate.model_checked, records_path, "records")
    connection_rows = Helper(validate.model_checked, connections_path, "connections")
    try:
        expected = loader.count_rows(records_path, loader.detect_format(records_path)) or 0
        index = validate.Records(Interned(expected))
        columns, records = validate.records(records_path, record_rows, index, summary, progress)
        multiline = write.records(records, columns, work / "records.csv", now)
        valid = connections.connections(
            connections_path, connection_rows, roles, index, summary, progress
        )
        multiline |= write.connections(valid, work / "edges.csv", work / "keys.csv", now)
    finally:
        record_rows.close()
        connection_rows.close()
    return role_rows, multiline


def run_import(
    settings: Settings,
    roles_path: Path,
    records_path: Path,
    connections_path: Path,
    overwrite: bool = False,
    keep: Path | None = None,
    skip_rejected: bool = False,
    progress: Progress | None = None,
) -> ImportSummary:
    """Validate and convert the files, import them, start Neo4j, apply the schema, add roles."""
    show = progress or StderrProgress()
    server = _refuse_early(settings, (roles_path, records_path, connections_path), overwrite)
    summary = ImportSummary()
    work = Path(tempfile.mkdtemp(prefix="graphsvc-import-", dir=keep))
    roles_check = validate.Checker(roles_path, "roles", summary)
    try:
        started = time.monotonic()
        role_rows, multiline = convert(
            roles_path, records_path, connections_path, work, roles_check, summary, show
        )
        summary.convert_seconds = time.monotonic() - started
        if summary.rejected and not skip_rejected:
            rejected = ", ".join(f"{n} {kind}" for kind, n in summary.rejected.items())
            files = [roles_check.writer.path] if roles_check.writer.count else []
            raise OfflineImportError(
                f"nothing imported: {rejected} row(s) would be rejected (every one, with its "
                f"reason, in {', '.join(map(str, files + summary.rejects))}); the first:\n  "
                + "\n  ".join(summary.failures)
            )

        started = time.monotonic()
        show("neo4j-admin", 0, None)
        server.assemble()
        server.write_conf()
        args = [
            "database",
            "import",
            "full",
            settings.neo4j_database,
            f"--nodes={work / 'records.csv'}",
            f"--nodes={work / 'keys.csv'}",
            f"--relationships={work / 'edges.csv'}",
            "--overwrite-destination",
            f"--multiline-fields={'true' if multiline else 'false'}",
            f"--report-file={work / 'import.report'}",
        ]
        summary.admin_command = _admin(server, args, work / "import.log")
        summary.import_seconds = time.monotonic() - started

        started = time.monotonic()
        show("start", 0, None)
        server.start()
        show("indexes", 0, 100)
        try:
            result = asyncio.run(_finish(settings, role_rows, show))
        except (IndexBuildFailed, DriverError, Neo4jError) as exc:
            raise OfflineImportError(
                f"the data is imported, but the schema and roles are not: {exc}. Once Neo4j "
                f"runs (`graphsvc neo4j start`): `graphsvc schema apply`, then "
                f"`graphsvc load roles {roles_path}`"
            ) from None
        source = {
            n: (data, src) for n, _, data, src in validate.source_rows(roles_path, "roles")[1]
        }
        for failure in result.failed:
            roles_check.reject(failure.index, failure.index, source[failure.index], failure.error)
        summary.finish_seconds = time.monotonic() - started
        show("done", 0, None)
    finally:
        roles_check.close()
        if keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return summary


async def _finish(
    settings: Settings, role_rows: list[tuple[int, dict[str, Any]]], show: Progress
) -> BatchResult:
    async with create_async_driver(settings) as driver:
        await apply_schema_async(
            driver, settings.neo4j_database, lambda percent: show("indexes", percent, 100)
        )
        show("roles", 0, None)
        return await upsert_roles(Repository(Graph(driver, settings.neo4j_database)), role_rows)
